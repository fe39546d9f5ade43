package dev.kavach.api.process;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts the host process of a {@link Launch}: by default the JVM's own {@link ProcessBuilder}. A backend that
 * starts many short commands may give {@link Launch.Builder#starter} one of its own, e.g. a fork server: a small
 * process started once that forks each launch itself, which costs far less than a spawn from a large JVM and
 * can run a fixed launcher step in the forked child without an {@code execve} of its own.
 *
 * <p>Whatever it returns is an ordinary {@link Process} to the runner: its three streams are the launch's stdin,
 * stdout and stderr, {@link Process#waitFor} ends when the started program ends, {@link Process#exitValue} is
 * its status ({@code 128 + n} for signal {@code n}) and {@link Process#toHandle} names that program, so that
 * the launch's {@link TreeKill} finds its tree.
 */
@FunctionalInterface
public interface ProcessStarter {
    /** The JVM's {@link ProcessBuilder}: the environment replaced by {@code env}, started in {@code directory}. */
    ProcessStarter DIRECT = (argv, env, directory) -> {
        ProcessBuilder builder = new ProcessBuilder(argv).directory(directory.toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        return builder.start();
    };

    /**
     * Starts {@code argv} (passed to {@code execve} as is) with exactly {@code env} in {@code directory}.
     *
     * @throws IOException the program could not be started
     */
    Process start(List<String> argv, Map<String, String> env, Path directory) throws IOException;
}
