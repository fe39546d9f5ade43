package dev.kavach.api.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Turns the command's argument vector into the host command line that runs it in the backend's sandbox,
 * e.g. {@code bwrap --unshare-all --die-with-parent -- <argv>}. Arguments stay separate: a wrapper never
 * joins them into a shell string.
 */
@FunctionalInterface
public interface CommandWrapper {
    /** Runs the command as it is. */
    CommandWrapper NONE = (argv, env, workdir) -> argv;

    /**
     * @param argv    the command; {@code argv[0]} is the program's absolute path, as {@link ProgramLookup} found it
     * @param env     the command's complete environment (the process is started with it)
     * @param workdir the working directory (the process is started in it)
     * @return the host command line
     */
    List<String> wrap(List<String> argv, Map<String, String> env, Path workdir);

    /** Puts {@code prefix} (a launcher and its options) before the command. */
    static CommandWrapper prefix(List<String> prefix) {
        List<String> fixed = List.copyOf(requireNonNull(prefix, "prefix is null"));
        return (argv, env, workdir) -> {
            List<String> line = new ArrayList<>(fixed);
            line.addAll(argv);
            return line;
        };
    }
}
