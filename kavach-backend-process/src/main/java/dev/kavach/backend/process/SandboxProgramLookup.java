package dev.kavach.backend.process;

import dev.kavach.api.process.ProgramLookup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds the program of an argv the way {@code execvp} will inside the sandbox, before anything starts: the
 * kit's {@link ProgramLookup} over the host's file system, which the sandbox sees except the directories it
 * replaces with private ones (/tmp, /var/tmp, /dev/shm, /run or /run/lock, Kavach's own). A program there is
 * not what the command would find, so those are left out (but for the work directory, which the sandbox
 * does see, even where it lies inside one of them).
 */
final class SandboxProgramLookup {
    private SandboxProgramLookup() {
    }

    static ProgramLookup find(String program, Map<String, String> env, Path workdir, List<Path> hidden) {
        if (program.contains("/")) {
            Path path = workdir.resolve(program).normalize();
            if (hiddenInside(path, workdir, hidden)) {
                return new ProgramLookup(127, program + ": not found inside the sandbox (" + path + " lies in a directory the sandbox "
                        + "replaces with a private one)", null);
            }
            return ProgramLookup.find(program, "", workdir);
        }
        String searchPath = env.getOrDefault("PATH", "");
        List<String> visible = new ArrayList<>();
        for (String dir : searchPath.split(":", -1)) {
            Path candidate = (dir.isEmpty() ? workdir : workdir.resolve(dir)).resolve(program);
            if (!hiddenInside(candidate, workdir, hidden)) {
                visible.add(dir);
            }
        }
        if (program.isEmpty() || visible.size() == searchPath.split(":", -1).length) {
            return ProgramLookup.find(program, searchPath, workdir);
        }
        // An empty search path would mean the work directory: with every entry hidden there is nowhere to look.
        ProgramLookup found = visible.isEmpty() ? new ProgramLookup(127, "", null) : ProgramLookup.find(program, String.join(":", visible), workdir);
        // Name the PATH the command was given, and which part of it the sandbox sees.
        return found.status() == 127 ? new ProgramLookup(127, program + ": command not found (searched PATH=" + searchPath
                + "; inside the sandbox " + (visible.isEmpty() ? "none" : "only " + String.join(":", visible)) + " of it)", null) : found;
    }

    private static boolean hiddenInside(Path path, Path workdir, List<Path> hidden) {
        return !path.startsWith(workdir) && hidden.stream().anyMatch(path::startsWith);
    }
}
