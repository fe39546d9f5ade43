package dev.kavach.backend.process;

import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxPolicy;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A Kavach of its own in a separate JVM, running one sandboxed command: for the tests that need the
 * caller on a terminal, or the caller killed with {@code kill -9}. Prints the command's stdout, then
 * {@code exit=<status>}. Limits this host cannot enforce (no cgroup for a non-root user) are dropped: the
 * tests using it are about the terminal and about dying with Kavach.
 */
public final class SandboxedRun {
    private SandboxedRun() {
    }

    /** {@code <preset> <argv...>} */
    public static void main(String[] args) {
        List<String> argv = Arrays.asList(args).subList(1, args.length);
        try (ProcessSandboxBackend backend = ProcessSandboxBackend.create(ProcessBackendSettings.defaults())) {
            ExecResult result = backend.exec(new ExecRequest(new Command.Argv(argv), null, Map.of(), null,
                    Sandboxes.withoutUnenforceableLimits(SandboxPolicy.preset(args[0])).withTimeout(Duration.ofMinutes(5)), null));
            System.out.print(result.stdoutText());
            System.out.println("exit=" + result.exitCode());
        }
    }

    /** The command line of a JVM running {@link #main} with this JVM's java and test classpath. */
    static List<String> javaCommand(String preset, String... argv) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> classpath = new ArrayList<>();
        for (String property : List.of("jdk.module.path", "java.class.path")) {
            String value = System.getProperty(property);
            if (value != null && !value.isBlank()) {
                classpath.add(value);
            }
        }
        List<String> command = new ArrayList<>(List.of(java, "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", String.join(File.pathSeparator, classpath), SandboxedRun.class.getName(), preset));
        command.addAll(List.of(argv));
        return command;
    }
}
