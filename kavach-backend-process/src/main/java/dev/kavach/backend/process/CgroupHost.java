package dev.kavach.backend.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * The cgroup hierarchies this host offers Kavach, found once: a cgroup v2 tree (at the root or at
 * {@code <root>/unified} on hybrid hosts) with its controllers, and writable cgroup v1 hierarchies for
 * memory, pids and cpu. Limits use v2 where it has the controller, v1 where it does not.
 *
 * @param root          where cgroup file systems are mounted
 * @param v2            the cgroup v2 tree if mounted and writable by this user
 * @param v2Controllers controllers the v2 tree can give its children
 * @param v2Mounted     whether a v2 tree exists at all (writable or not), for the probe
 * @param v1            writable v1 hierarchies by controller name
 * @param v1Mounted     v1 controllers mounted at all (writable or not), for the probe
 */
record CgroupHost(Path root, Optional<Path> v2, Set<String> v2Controllers, boolean v2Mounted, Map<String, Path> v1, Set<String> v1Mounted) {
    static final List<String> LIMIT_CONTROLLERS = List.of("memory", "pids", "cpu");
    private static final Map<String, String> V1_MARKER = Map.of(
            "memory", "memory.limit_in_bytes", "pids", "pids.max", "cpu", "cpu.cfs_quota_us");

    CgroupHost {
        requireNonNull(root, "root is null");
        requireNonNull(v2, "v2 is null");
        v2Controllers = Set.copyOf(v2Controllers);
        v1 = Map.copyOf(v1);
        v1Mounted = Set.copyOf(v1Mounted);
    }

    static CgroupHost detect(Path root) {
        Path v2Dir = null;
        for (Path candidate : List.of(root, root.resolve("unified"))) {
            if (Files.isRegularFile(candidate.resolve("cgroup.controllers"))) {
                v2Dir = candidate;
                break;
            }
        }
        Set<String> controllers = new TreeSet<>();
        boolean v2Writable = false;
        if (v2Dir != null) {
            HostTools.read(v2Dir.resolve("cgroup.controllers"))
                    .ifPresent(text -> controllers.addAll(Arrays.stream(text.split("\\s+")).filter(s -> !s.isEmpty()).toList()));
            v2Writable = Files.isWritable(v2Dir) && Files.isWritable(v2Dir.resolve("cgroup.procs"));
        }
        Map<String, Path> v1 = new LinkedHashMap<>();
        Set<String> v1Mounted = new TreeSet<>();
        List<String> mounts = HostTools.read(Path.of("/proc/self/mounts")).map(text -> text.lines().toList()).orElse(List.of());
        for (String controller : LIMIT_CONTROLLERS) {
            Path dir = root.resolve(controller);
            if (Files.isRegularFile(dir.resolve(V1_MARKER.get(controller))) || isV1Mount(mounts, dir, controller)) {
                v1Mounted.add(controller);
                if (Files.isWritable(dir) && Files.isWritable(dir.resolve("cgroup.procs"))) {
                    v1.put(controller, dir);
                }
            }
        }
        return new CgroupHost(root, Optional.ofNullable(v2Writable ? v2Dir : null), controllers, v2Dir != null, v1, v1Mounted);
    }

    /** A v1 hierarchy root has no limit files of its own (pids.max exists only below it): ask the mount table. */
    private static boolean isV1Mount(List<String> mounts, Path dir, String controller) {
        for (String line : mounts) {
            String[] fields = line.split(" ");
            if (fields.length >= 4 && fields[2].equals("cgroup") && fields[1].equals(dir.toString())
                    && Arrays.asList(fields[3].split(",")).contains(controller)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code controller} can limit a Kavach cgroup, by either version. */
    boolean canLimit(String controller) {
        return v2.isPresent() && v2Controllers.contains(controller) || v1.containsKey(controller);
    }

    /** Whether some writable hierarchy can hold a per-exec group for killing a whole tree. */
    boolean canTrackTree() {
        return v2.isPresent() || !v1.isEmpty();
    }

    /** One line for the probe and for errors. */
    String describe() {
        StringBuilder text = new StringBuilder();
        if (v2Mounted) {
            text.append("cgroup v2 at ").append(v2.map(Path::toString).orElse(root + " (not writable by this user)"))
                    .append(" with controllers [").append(String.join(" ", v2Controllers)).append(']');
        } else {
            text.append("no cgroup v2 under ").append(root);
        }
        text.append("; cgroup v1: ");
        if (v1Mounted.isEmpty()) {
            text.append("none of memory, pids, cpu mounted");
        } else {
            text.append(String.join(", ", v1Mounted.stream().map(c -> c + (v1.containsKey(c) ? " (writable)" : " (not writable)")).toList()));
        }
        return text.toString();
    }
}
