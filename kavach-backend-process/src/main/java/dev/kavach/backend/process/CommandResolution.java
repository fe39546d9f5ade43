package dev.kavach.backend.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the program of an argv the way {@code execvp} will inside the sandbox, before anything starts, so
 * that "not found" (127) and "not executable" (126) are reported as such rather than as a launcher's
 * exit status. The sandbox sees the host's file system except its private directories (/tmp, /var/tmp,
 * /dev/shm, /run or /run/lock, Kavach's own), so the host view answers for everything else.
 *
 * @param status  127 not found, 126 not executable, 0 found
 * @param message why, for stderr and the result's detail
 * @param path    the program found, when found
 */
record CommandResolution(int status, String message, Path path) {
    CommandResolution(int status, String message) {
        this(status, message, null);
    }

    static CommandResolution found(Path path) {
        return new CommandResolution(0, "", path);
    }

    static CommandResolution resolve(String program, Map<String, String> env, Path workdir, java.util.List<Path> hidden) {
        if (program.isEmpty()) {
            return new CommandResolution(127, "the program name is empty");
        }
        if (program.contains("/")) {
            Path path = workdir.resolve(program).normalize();
            if (hiddenInside(path, workdir, hidden)) {
                return new CommandResolution(127, program + ": not found inside the sandbox (" + path + " lies in a directory the sandbox "
                        + "replaces with a private one)");
            }
            return check(program, path).orElse(found(path));
        }
        String searchPath = env.getOrDefault("PATH", "");
        CommandResolution firstProblem = null;
        for (String dir : searchPath.split(":")) {
            Path candidate = (dir.isEmpty() ? workdir : workdir.resolve(dir)).resolve(program);
            if (hiddenInside(candidate, workdir, hidden)) {
                continue;
            }
            java.util.Optional<CommandResolution> problem = check(program, candidate);
            if (problem.isEmpty()) {
                return found(candidate);
            }
            if (problem.get().status() == 126 && firstProblem == null) {
                firstProblem = problem.get();
            }
        }
        return firstProblem != null ? firstProblem
                : new CommandResolution(127, program + ": command not found (searched PATH=" + searchPath + ")");
    }

    private static java.util.Optional<CommandResolution> check(String program, Path path) {
        if (!Files.exists(path)) {
            return java.util.Optional.of(new CommandResolution(127, program + ": no such file (" + path + ")"));
        }
        if (Files.isDirectory(path)) {
            return java.util.Optional.of(new CommandResolution(126, program + ": is a directory"));
        }
        if (!Files.isExecutable(path)) {
            return java.util.Optional.of(new CommandResolution(126, program + ": permission denied (not executable)"));
        }
        return java.util.Optional.empty();
    }

    private static boolean hiddenInside(Path path, Path workdir, java.util.List<Path> hidden) {
        return !path.startsWith(workdir) && hidden.stream().anyMatch(path::startsWith);
    }
}
