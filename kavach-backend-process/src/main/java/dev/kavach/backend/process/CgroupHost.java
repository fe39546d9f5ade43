package dev.kavach.backend.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongUnaryOperator;

import static java.util.Objects.requireNonNull;

/**
 * The cgroup hierarchies this host offers Kavach, found once: a cgroup v2 group Kavach may build in, with its
 * controllers, and writable cgroup v1 hierarchies for memory, pids and cpu. Limits use v2 where it has the
 * controller, v1 where it does not.
 *
 * <p>Which v2 group: with {@code cgroup-root} configured, that root (or its {@code unified}) as given, if this
 * user may write it. Otherwise the cgroup v2 mount from the mount table: its root when Kavach is root and may
 * write it, else the cgroup systemd delegated to Kavach ({@link OwnCgroup}), without configuration.
 *
 * @param root              where cgroup file systems are mounted (the v1 hierarchies' parent)
 * @param v2                the cgroup v2 group Kavach builds its groups in, if any
 * @param v2Controllers     controllers {@code v2} can give its children
 * @param v2Mount           the cgroup v2 tree (writable or not), for the probe and the fixes
 * @param v2HostControllers controllers the whole v2 tree has (its root's {@code cgroup.controllers})
 * @param own               Kavach's own cgroup, when Kavach looked for one delegated to it
 * @param v1                writable v1 hierarchies by controller name
 * @param v1Mounted         v1 controllers mounted at all (writable or not), for the probe
 * @param uid               the user Kavach runs as
 * @param configured        whether {@code kavach.backends.process.cgroup-root} chose the root
 */
record CgroupHost(Path root, Optional<Path> v2, Set<String> v2Controllers, Optional<Path> v2Mount, Set<String> v2HostControllers,
                  Optional<OwnCgroup> own, Map<String, Path> v1, Set<String> v1Mounted, int uid, boolean configured) {
    private static final Logger LOG = LoggerFactory.getLogger(CgroupHost.class);
    static final List<String> LIMIT_CONTROLLERS = List.of("memory", "pids", "cpu");
    private static final Map<String, String> V1_MARKER = Map.of(
            "memory", "memory.limit_in_bytes", "pids", "pids.max", "cpu", "cpu.cfs_quota_us");

    CgroupHost {
        requireNonNull(root, "root is null");
        requireNonNull(v2, "v2 is null");
        v2Controllers = Set.copyOf(v2Controllers);
        requireNonNull(v2Mount, "v2Mount is null");
        v2HostControllers = Set.copyOf(v2HostControllers);
        requireNonNull(own, "own is null");
        v1 = Map.copyOf(v1);
        v1Mounted = Set.copyOf(v1Mounted);
    }

    /** This host's cgroups for {@code settings}: the configured root, or what Kavach finds by itself. */
    static CgroupHost detect(ProcessBackendSettings settings) {
        if (settings.cgroupRootSet()) {
            return detect(settings.cgroupRoot());
        }
        return detect(settings.cgroupRoot(), HostTools.read(Path.of("/proc/self/mountinfo")).orElse(""),
                HostTools.read(Path.of("/proc/self/cgroup")).orElse(""), HostTools.ids().uid(), ProcessHandle.current().pid(),
                OwnCgroup.HOST_PARENTS);
    }

    /** The hierarchies under a configured {@code root}: cgroup v2 at {@code root} or {@code root/unified}, used if writable. */
    static CgroupHost detect(Path root) {
        return detect(root, HostTools.ids().uid());
    }

    /** As {@link #detect(Path)} for a Kavach running as {@code uid}. */
    static CgroupHost detect(Path root, int uid) {
        Path v2Dir = null;
        for (Path candidate : List.of(root, root.resolve("unified"))) {
            if (Files.isRegularFile(candidate.resolve("cgroup.controllers"))) {
                v2Dir = candidate;
                break;
            }
        }
        Set<String> controllers = v2Dir == null ? Set.of() : controllers(v2Dir);
        boolean v2Writable = v2Dir != null && Files.isWritable(v2Dir) && Files.isWritable(v2Dir.resolve("cgroup.procs"));
        CgroupHost host = withV1(root, Optional.ofNullable(v2Writable ? v2Dir : null), controllers, Optional.ofNullable(v2Dir), controllers,
                Optional.empty(), uid, true);
        LOG.debug("cgroups under the configured root {}: {}", root, host.describe());
        return host;
    }

    /**
     * The hierarchies Kavach finds by itself (pure but for the files it reads, so that tests can hand it a fake
     * tree): the cgroup v2 mount from {@code mountinfo}; its root if {@code uid} is 0 and may write it, else
     * Kavach's own cgroup from {@code procCgroup} when it is delegated to {@code uid} and holds only process
     * {@code pid} and its descendants (by {@code parentOf}); v1 under {@code v1Root}.
     */
    static CgroupHost detect(Path v1Root, String mountinfo, String procCgroup, int uid, long pid, LongUnaryOperator parentOf) {
        Optional<String> ownPath = Cgroup2Mount.ownPath(procCgroup);
        Optional<Cgroup2Mount> mount = Cgroup2Mount.find(mountinfo, ownPath)
                .filter(m -> Files.isRegularFile(m.point().resolve("cgroup.controllers")));
        if (mount.isEmpty()) {
            CgroupHost host = withV1(v1Root, Optional.empty(), Set.of(), Optional.empty(), Set.of(), Optional.empty(), uid, false);
            LOG.debug("no cgroup v2 mount in /proc/self/mountinfo: {}", host.describe());
            return host;
        }
        Path point = mount.get().point();
        Set<String> hostControllers = controllers(point);
        Optional<Path> v2 = Optional.empty();
        Set<String> v2Controllers = Set.of();
        Optional<OwnCgroup> own = Optional.empty();
        if (uid == 0 && Files.isWritable(point) && Files.isWritable(point.resolve("cgroup.procs"))) {
            // Root builds at the top, as it always has; its groups are its own and need no delegation.
            v2 = Optional.of(point);
            v2Controllers = hostControllers;
        } else {
            Optional<Path> dir = ownPath.flatMap(path -> mount.get().resolve(path));
            own = dir.map(d -> OwnCgroup.inspect(d, point, uid, pid, parentOf));
            if (own.isPresent() && own.get().usable()) {
                v2 = Optional.of(own.get().base());
                v2Controllers = own.get().controllers();
            }
            if (dir.isEmpty()) {
                LOG.debug("Kavach's cgroup {} is not under the cgroup v2 mount {}", ownPath.orElse("(none in /proc/self/cgroup)"), mount.get());
            }
        }
        CgroupHost host = withV1(v1Root, v2, v2Controllers, Optional.of(point), hostControllers, own, uid, false);
        LOG.debug("cgroups found for uid {}: {}", uid, host.describe());
        return host;
    }

    private static CgroupHost withV1(Path root, Optional<Path> v2, Set<String> v2Controllers, Optional<Path> v2Mount, Set<String> hostControllers,
            Optional<OwnCgroup> own, int uid, boolean configured) {
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
        return new CgroupHost(root, v2, v2Controllers, v2Mount, hostControllers, own, v1, v1Mounted, uid, configured);
    }

    /** The controllers a cgroup can give its children: its {@code cgroup.controllers}. */
    static Set<String> controllers(Path dir) {
        Set<String> controllers = new TreeSet<>();
        HostTools.read(dir.resolve("cgroup.controllers"))
                .ifPresent(text -> controllers.addAll(Arrays.stream(text.split("\\s+")).filter(s -> !s.isEmpty()).toList()));
        return controllers;
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
        if (v2Mount.isEmpty()) {
            text.append("no cgroup v2").append(configured ? " under " + root : "");
        } else {
            text.append("cgroup v2 at ").append(v2Mount.get()).append(" with controllers [").append(String.join(" ", new TreeSet<>(v2HostControllers))).append(']');
            if (own.isPresent()) {
                text.append("; ").append(own.get().describe());
            }
            if (v2.isPresent()) {
                text.append("; Kavach's groups go in ").append(v2.get()).append(", which can give [")
                        .append(String.join(" ", new TreeSet<>(v2Controllers))).append(']');
            } else if (own.isEmpty()) {
                text.append(" (not writable by ").append(uid == 0 ? "root" : "uid " + uid).append(')');
            }
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
