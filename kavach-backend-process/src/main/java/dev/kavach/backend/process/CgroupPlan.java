package dev.kavach.backend.process;

import dev.kavach.api.Enforcement;
import dev.kavach.api.PolicyNotEnforceableException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The cgroups one exec will use, planned but not yet created, so that {@code --dry-run} can show the
 * exact launcher command line without touching the host.
 *
 * @param root        the cgroup mount root, for messages
 * @param v2Dir       the exec's cgroup v2 directory, or {@code null}
 * @param v1Dirs      the exec's cgroup v1 directories by controller
 * @param writes      limit files to write, in order
 * @param enforcement which mechanism enforces each limit
 */
record CgroupPlan(Path root, Path v2Dir, Map<String, Path> v1Dirs, List<Write> writes, List<Enforcement> enforcement) {
    /** One limit file and its value; {@code required} false for files some kernels lack (swap accounting). */
    record Write(Path file, String value, boolean required) {
    }

    CgroupPlan {
        requireNonNull(root, "root is null");
        v1Dirs = Map.copyOf(v1Dirs);
        writes = List.copyOf(writes);
        enforcement = List.copyOf(enforcement);
    }

    boolean isEmpty() {
        return v2Dir == null && v1Dirs.isEmpty();
    }

    /** The {@code cgroup.procs} files the launcher joins before it executes anything. */
    List<String> procsFiles() {
        return new ExecCgroup(v2Dir, v1Dirs).procsFiles();
    }

    /** Which mechanism kills the tree ({@link ExecCgroup#treeKill()}), for the result's enforcement list. */
    String killMechanism() {
        if (v2Dir != null) {
            // The exec's own directory may not exist yet; its parent has the same interface files.
            return "cgroup v2 " + (Files.exists(v2Dir.getParent().resolve("cgroup.kill")) ? "cgroup.kill" : "SIGKILL of every member, until none is left,")
                    + " of the exec's group";
        }
        return "SIGKILL of every member of the exec's cgroup v1 " + String.join("/", v1Dirs.keySet()) + " group, until none is left";
    }

    /** Creates the directories and writes the limits; on any failure undoes it and refuses to run. */
    ExecCgroup apply() {
        List<Path> created = new ArrayList<>();
        try {
            if (v2Dir != null) {
                Files.createDirectory(v2Dir);
                created.add(v2Dir);
            }
            for (Path dir : v1Dirs.values()) {
                Files.createDirectory(dir);
                created.add(dir);
            }
            for (Write write : writes) {
                if (write.required() || Files.exists(write.file())) {
                    KavachCgroups.write(write.file(), write.value());
                }
            }
            return new ExecCgroup(v2Dir, v1Dirs);
        } catch (IOException | RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                try {
                    Files.deleteIfExists(created.get(i));
                } catch (IOException ignored) {
                    // best effort while refusing the exec
                }
            }
            throw new PolicyNotEnforceableException("could not set up the cgroup for this exec (" + e
                    + "), so the command was not started",
                    "check that the cgroup hierarchies under " + root + " are writable by this user, or drop the limits from the policy");
        }
    }
}
