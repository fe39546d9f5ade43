package dev.kavach.backend.process;

import dev.kavach.api.Enforcement;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Kavach's parent cgroups in each usable hierarchy, prepared once when the backend starts, and the
 * factory for per-exec groups. Decides per limit which cgroup version enforces it, or refuses.
 */
final class KavachCgroups {
    private static final Logger LOG = LoggerFactory.getLogger(KavachCgroups.class);
    private final CgroupHost host;
    private final Optional<Path> v2Parent;
    private final Set<String> v2Usable;
    private final Map<String, Path> v1Parents;

    private KavachCgroups(CgroupHost host, Optional<Path> v2Parent, Set<String> v2Usable, Map<String, Path> v1Parents) {
        this.host = host;
        this.v2Parent = v2Parent;
        this.v2Usable = Set.copyOf(v2Usable);
        this.v1Parents = Map.copyOf(v1Parents);
    }

    /**
     * Creates {@code <hierarchy>/<parentName>} where possible and enables the v2 controllers Kavach uses.
     * A hierarchy that cannot be prepared is simply not used; policies needing it then fail at exec.
     */
    static KavachCgroups prepare(CgroupHost host, String parentName) {
        return prepare(host, parentName, CgroupTree.KERNEL);
    }

    /**
     * As {@link #prepare(CgroupHost, String)}, changing cgroups through {@code tree}. In a cgroup delegated to
     * Kavach that holds Kavach's process, Kavach first moves itself into its leaf: cgroup v2 lets a group give
     * controllers to its children only while no process lives in it.
     */
    static KavachCgroups prepare(CgroupHost host, String parentName, CgroupTree tree) {
        requireNonNull(host, "host is null");
        Optional<Path> v2Parent = Optional.empty();
        Set<String> v2Usable = new TreeSet<>();
        if (host.v2().isPresent()) {
            Path root = host.v2().get();
            Path parent = root.resolve(parentName);
            try {
                if (host.own().isPresent() && host.own().get().moveSelf()) {
                    moveIntoLeaf(host.own().get(), tree);
                }
                tree.makeGroup(parent);
                for (String controller : CgroupHost.LIMIT_CONTROLLERS) {
                    if (host.v2Controllers().contains(controller)) {
                        // Failing to enable one only means v1 (or a refusal) handles that limit.
                        writeQuietly(tree, root.resolve("cgroup.subtree_control"), "+" + controller);
                        writeQuietly(tree, parent.resolve("cgroup.subtree_control"), "+" + controller);
                    }
                }
                HostTools.read(parent.resolve("cgroup.subtree_control"))
                        .ifPresent(text -> v2Usable.addAll(Arrays.stream(text.split("\\s+")).filter(s -> !s.isEmpty()).toList()));
                v2Parent = Optional.of(parent);
            } catch (IOException e) {
                LOG.debug("cannot use cgroup v2 at {}: {}", root, e.toString());
                v2Parent = Optional.empty();
            }
        }
        Map<String, Path> v1Parents = new LinkedHashMap<>();
        for (Map.Entry<String, Path> entry : host.v1().entrySet()) {
            Path parent = entry.getValue().resolve(parentName);
            try {
                tree.makeGroup(parent);
                v1Parents.put(entry.getKey(), parent);
            } catch (IOException e) {
                // Not usable by this user after all.
            }
        }
        List<Path> parents = new ArrayList<>(v1Parents.values());
        v2Parent.ifPresent(parents::add);
        removeOrphans(parents);
        LOG.debug("cgroups for execs: v2 {} (controllers {}), v1 {}", v2Parent.map(Path::toString).orElse("none"), v2Usable, v1Parents);
        return new KavachCgroups(host, v2Parent, v2Usable, v1Parents);
    }

    /**
     * Moves Kavach's own process and its descendants (never anyone else's: the cgroup held no other) into the leaf
     * of its delegated cgroup, so that the cgroup holds no process and may enable controllers for Kavach's groups.
     * A descendant may fork while it moves, so the members are read again until none is left.
     */
    private static void moveIntoLeaf(OwnCgroup own, CgroupTree tree) throws IOException {
        tree.makeGroup(own.leaf());
        List<Long> moved = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            List<Long> kavachs = OwnCgroup.members(own.base()).stream().filter(own::isKavachs).toList();
            if (kavachs.isEmpty() && !moved.isEmpty()) {
                break;
            }
            List<Long> order = new ArrayList<>(kavachs);
            if (moved.isEmpty() && !order.contains(own.pid())) {
                order.add(0, own.pid()); // its own process first, even where cgroup.procs cannot be read
            }
            for (long member : order) {
                try {
                    tree.write(own.leaf().resolve("cgroup.procs"), Long.toString(member));
                    moved.add(member);
                } catch (IOException e) {
                    if (member == own.pid()) {
                        throw e;
                    }
                    // A descendant that exited in the meantime.
                }
            }
        }
        LOG.debug("moved Kavach (pid {}) and its processes {} from its delegated cgroup {} into {}, so that {} can give controllers to "
                + "Kavach's groups", own.pid(), moved, own.base(), own.leaf(), own.base());
    }

    /**
     * Kills and removes exec groups left by a Kavach process that died without cleaning up (exec ids
     * start with {@code k<pid>-}): their commands must not outlive the process that ran them.
     */
    private static void removeOrphans(List<Path> parents) {
        for (Path parent : parents) {
            try (var children = Files.list(parent)) {
                for (Path child : children.filter(Files::isDirectory).toList()) {
                    java.util.regex.Matcher m = EXEC_ID.matcher(child.getFileName().toString());
                    if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(h -> !h.isAlive()).orElse(true)) {
                        ExecCgroup orphan = new ExecCgroup(null, Map.of("orphan", child));
                        orphan.treeKill().kill(ProcessHandle.current(), -1);
                        orphan.remove();
                        LOG.debug("removed the exec cgroup {} of a Kavach process that is gone", child);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // Cleanup is best effort; a leftover empty group costs nothing.
            }
        }
    }

    private static final java.util.regex.Pattern EXEC_ID = java.util.regex.Pattern.compile("k(\\d+)-.+");

    CgroupHost host() {
        return host;
    }

    /** Whether a per-exec group can be made at all (for killing whole trees). */
    boolean canTrackTree() {
        return v2Parent.isPresent() || !v1Parents.isEmpty();
    }

    /**
     * Checks that every cgroup limit of {@code policy} can be enforced here; throws before anything starts.
     */
    void checkEnforceable(SandboxPolicy policy) {
        List<String> missing = new ArrayList<>();
        List<String> controllers = new ArrayList<>();
        if (policy.memoryMiB() > 0 && !canLimit("memory")) {
            missing.add("memory limit (" + policy.memoryMiB() + " MiB) needs the memory controller");
            controllers.add("memory");
        }
        if (policy.maxPids() > 0 && !canLimit("pids")) {
            missing.add("max pids (" + policy.maxPids() + ") needs the pids controller");
            controllers.add("pids");
        }
        if (policy.cpus() > 0 && !canLimit("cpu")) {
            missing.add("CPU limit (" + policy.cpus() + " cores) needs the cpu controller");
            controllers.add("cpu");
        }
        if (!missing.isEmpty()) {
            throw new PolicyNotEnforceableException(
                    "the policy cannot be enforced on this host, so the command was not started: " + String.join("; ", missing)
                            + " (found: " + host.describe() + ")",
                    CgroupFix.forMissing(host, controllers));
        }
    }

    private boolean canLimit(String controller) {
        return v2Parent.isPresent() && v2Usable.contains(controller) || v1Parents.containsKey(controller);
    }

    /**
     * Plans the per-exec group {@code id}: which directories to create and which limit files to write,
     * and which mechanism enforces each limit. Pure: nothing is touched until {@link CgroupPlan#apply()}.
     * The caller must have called {@link #checkEnforceable}.
     */
    CgroupPlan plan(String id, SandboxPolicy policy, boolean trackTree) {
        boolean v2Needed = trackTree
                || policy.memoryMiB() > 0 && v2Usable.contains("memory")
                || policy.maxPids() > 0 && v2Usable.contains("pids")
                || policy.cpus() > 0 && v2Usable.contains("cpu");
        // Under a PID namespace the tree dies with its init: a v2 group only for tracking would be wasted work.
        Path v2Dir = v2Needed ? v2Parent.map(parent -> parent.resolve(id)).orElse(null) : null;
        Map<String, Path> v1Dirs = new LinkedHashMap<>();
        List<CgroupPlan.Write> writes = new ArrayList<>();
        List<Enforcement> enforcement = new ArrayList<>();
        if (policy.memoryMiB() > 0) {
            String bytes = Long.toString(policy.memoryMiB() * 1024 * 1024);
            if (v2Dir != null && v2Usable.contains("memory")) {
                writes.add(new CgroupPlan.Write(v2Dir.resolve("memory.max"), bytes, true));
                writes.add(new CgroupPlan.Write(v2Dir.resolve("memory.swap.max"), "0", false));
                enforcement.add(new Enforcement("memory", "cgroup v2 memory.max=" + bytes + ", memory.swap.max=0"));
            } else {
                Path dir = v1Dir("memory", id, v1Dirs);
                writes.add(new CgroupPlan.Write(dir.resolve("memory.limit_in_bytes"), bytes, true));
                // memsw must follow limit_in_bytes; absent when the kernel does no swap accounting.
                writes.add(new CgroupPlan.Write(dir.resolve("memory.memsw.limit_in_bytes"), bytes, false));
                enforcement.add(new Enforcement("memory", "cgroup v1 memory.limit_in_bytes=" + bytes + " (and memory.memsw.limit_in_bytes where swap is accounted)"));
            }
        }
        if (policy.maxPids() > 0) {
            String max = Integer.toString(policy.maxPids());
            if (v2Dir != null && v2Usable.contains("pids")) {
                writes.add(new CgroupPlan.Write(v2Dir.resolve("pids.max"), max, true));
                enforcement.add(new Enforcement("pids", "cgroup v2 pids.max=" + max));
            } else {
                writes.add(new CgroupPlan.Write(v1Dir("pids", id, v1Dirs).resolve("pids.max"), max, true));
                enforcement.add(new Enforcement("pids", "cgroup v1 pids.max=" + max));
            }
        }
        if (policy.cpus() > 0) {
            long period = 100_000;
            long quota = Math.max(1_000, Math.round(policy.cpus() * period));
            if (v2Dir != null && v2Usable.contains("cpu")) {
                writes.add(new CgroupPlan.Write(v2Dir.resolve("cpu.max"), quota + " " + period, true));
                enforcement.add(new Enforcement("cpu", "cgroup v2 cpu.max=" + quota + " " + period));
            } else {
                Path dir = v1Dir("cpu", id, v1Dirs);
                writes.add(new CgroupPlan.Write(dir.resolve("cpu.cfs_period_us"), Long.toString(period), true));
                writes.add(new CgroupPlan.Write(dir.resolve("cpu.cfs_quota_us"), Long.toString(quota), true));
                enforcement.add(new Enforcement("cpu", "cgroup v1 cpu.cfs_quota_us=" + quota + " per cpu.cfs_period_us=" + period));
            }
        }
        if (trackTree && v2Dir == null && v1Dirs.isEmpty() && !v1Parents.isEmpty()) {
            // Only for tracking the tree: any v1 hierarchy lists every member process.
            v1Dir(v1Parents.containsKey("pids") ? "pids" : v1Parents.keySet().iterator().next(), id, v1Dirs);
        }
        return new CgroupPlan(host.root(), v2Dir, v1Dirs, writes, enforcement);
    }

    private Path v1Dir(String controller, String id, Map<String, Path> v1Dirs) {
        Path dir = requireNonNull(v1Parents.get(controller), "no v1 hierarchy for " + controller).resolve(id);
        v1Dirs.put(controller, dir);
        return dir;
    }

    static void write(Path file, String value) throws IOException {
        CgroupTree.KERNEL.write(file, value);
    }

    private static void writeQuietly(CgroupTree tree, Path file, String value) {
        try {
            tree.write(file, value);
        } catch (IOException e) {
            // Reported through the controllers that end up usable; the reason is for -v.
            LOG.debug("could not write {} to {}: {}", value, file, e.toString());
        }
    }
}
