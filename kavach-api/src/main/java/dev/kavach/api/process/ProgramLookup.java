package dev.kavach.api.process;

import dev.kavach.api.ExecResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Finds a program the way {@code execvp} will, before anything starts, so that "not found" (127) and
 * "not executable" (126) are reported as {@link dev.kavach.api.Outcome#FAILED_TO_START} rather than
 * confused with a launcher's or the program's own exit status. A name with a {@code /} is taken relative
 * to the working directory; a bare name is searched on {@code PATH} (an empty entry is the working
 * directory). The host's view of the file system answers: a backend whose sandbox sees another one
 * checks there instead.
 *
 * @param status  0 found, 127 not found, 126 found but not executable (a directory, no execute permission)
 * @param message why, when not found
 * @param path    the program found, or {@code null}
 */
public record ProgramLookup(int status, String message, Path path) {
    public ProgramLookup {
        requireNonNull(message, "message is null");
    }

    /** Looks {@code program} up on {@code searchPath} (a {@code PATH} value) from {@code workdir}. */
    public static ProgramLookup find(String program, String searchPath, Path workdir) {
        requireNonNull(program, "program is null");
        requireNonNull(searchPath, "searchPath is null");
        requireNonNull(workdir, "workdir is null");
        if (program.isEmpty()) {
            return new ProgramLookup(127, "the program name is empty", null);
        }
        if (program.contains("/")) {
            Path path = workdir.resolve(program).normalize();
            return check(program, path).orElse(new ProgramLookup(0, "", path));
        }
        ProgramLookup firstProblem = null;
        for (String dir : searchPath.split(":", -1)) {
            Path candidate = (dir.isEmpty() ? workdir : workdir.resolve(dir)).resolve(program);
            Optional<ProgramLookup> problem = check(program, candidate);
            if (problem.isEmpty()) {
                return new ProgramLookup(0, "", candidate);
            }
            if (problem.get().status() == 126 && firstProblem == null) {
                firstProblem = problem.get();
            }
        }
        return firstProblem != null ? firstProblem
                : new ProgramLookup(127, program + ": command not found (searched PATH=" + searchPath + ")", null);
    }

    public boolean found() {
        return status == 0;
    }

    /** The result for a program that was not found or cannot run. */
    public ExecResult.Builder failedToStart() {
        if (found()) {
            throw new IllegalStateException("the program was found at " + path + "; it did not fail to start");
        }
        return ExecResult.Builder.failedToStart(status, message);
    }

    private static Optional<ProgramLookup> check(String program, Path path) {
        if (!Files.exists(path)) {
            return Optional.of(new ProgramLookup(127, program + ": no such file (" + path + ")", null));
        }
        if (Files.isDirectory(path)) {
            return Optional.of(new ProgramLookup(126, program + ": is a directory (" + path + ")", null));
        }
        if (!Files.isExecutable(path)) {
            return Optional.of(new ProgramLookup(126, program + ": permission denied (" + path + " is not executable)", null));
        }
        return Optional.empty();
    }
}
