package dev.kavach.backend.process;

import dev.kavach.api.process.HostProbeCache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Looks up executables and asks tools for their versions; used once per probe or backend, never per exec. */
final class HostTools {
    private HostTools() {
    }

    /** Resolves a bare name on {@code path} (a PATH value), or checks an absolute or relative path. */
    static Optional<Path> find(String nameOrPath, String path) {
        if (nameOrPath.contains("/")) {
            Path candidate = Path.of(nameOrPath);
            return Files.isRegularFile(candidate) && Files.isExecutable(candidate) ? Optional.of(candidate.toAbsolutePath()) : Optional.empty();
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, nameOrPath);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The host's PATH, or a standard one when unset: used only to find Kavach's own tools. */
    static String hostPath() {
        String path = System.getenv("PATH");
        return path == null || path.isBlank() ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path + ":/usr/sbin:/sbin";
    }

    /**
     * The first output line of a short tool invocation that answers about {@code programs} alone (a
     * version), remembered in {@code cache} when the tool exited 0; empty when it could not run.
     */
    static Optional<String> firstLine(HostProbeCache cache, List<String> argv, List<Path> programs) {
        AtomicReference<Optional<Run>> failed = new AtomicReference<>(Optional.empty());
        Optional<String> answer = cache.answer(argv, programs, () -> {
            Optional<Run> run = run(argv);
            if (run.isPresent() && run.get().exitCode() == 0) {
                return Optional.of(run.get().firstLine());
            }
            failed.set(run);
            return Optional.empty();
        });
        return answer.isPresent() ? answer : failed.get().map(Run::firstLine);
    }

    /** What a short tool invocation did: exit status and combined output. */
    record Run(int exitCode, String output) {
        String firstLine() {
            int newline = output.indexOf('\n');
            return newline < 0 ? output : output.substring(0, newline);
        }
    }

    /** Runs a short tool invocation (bounded to 5 seconds), or empty when it could not run. */
    static Optional<Run> run(List<String> argv) {
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readNBytes(4096);
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return Optional.of(new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8).strip()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Reads a small file, or empty when it cannot be read. */
    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The real uid and gid of this process. */
    record Ids(int uid, int gid) {
    }

    /** This process's real uid and gid, from {@code /proc/self/status}. */
    static Ids ids() {
        String status = read(Path.of("/proc/self/status")).orElse("");
        return new Ids(firstId(status, "Uid:"), firstId(status, "Gid:"));
    }

    private static int firstId(String status, String field) {
        return status.lines().filter(line -> line.startsWith(field)).findFirst()
                .map(line -> Integer.parseInt(line.split("\\s+")[1])).orElse(-1);
    }

    static boolean isRoot() {
        return read(Path.of("/proc/self/status")).map(status -> status.lines()
                .filter(line -> line.startsWith("Uid:")).findFirst()
                .map(line -> line.split("\\s+")[1].equals("0")).orElse(false)).orElse(false);
    }
}
