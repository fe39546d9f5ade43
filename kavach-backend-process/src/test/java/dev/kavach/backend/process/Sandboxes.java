package dev.kavach.backend.process;

import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxPolicy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Shared fixtures: one backend per test class, host facts, and request builders. */
final class Sandboxes {
    static final ProcessBackendSettings DEFAULTS = ProcessBackendSettings.defaults();
    static final HostFacts FACTS = HostFacts.detect(DEFAULTS);
    /** Who commands run as under the default settings (an id of its own per sandbox when the tests run as root). */
    static final RunAs RUN_AS = RunAs.resolve(DEFAULTS.runAs());
    /** Settings that run commands as host root: only meaningful, and only allowed, when the tests run as root. */
    static final ProcessBackendSettings AS_ROOT = ProcessBackendSettings.from(dev.kavach.api.BackendSettings.of("kavach.backends.process",
            Map.of("run-as", "root")));

    private Sandboxes() {
    }

    /** The mechanism a result names for {@code limit}; fails the test when there is none. */
    static String mechanism(dev.kavach.api.ExecResult result, String limit) {
        return result.enforcement().stream().filter(e -> e.limit().equals(limit)).map(dev.kavach.api.Enforcement::mechanism).findFirst()
                .orElseThrow(() -> new AssertionError("no enforcement entry for " + limit + ": " + result.enforcement()));
    }

    static ExecRequest sh(String script, SandboxPolicy policy) {
        return new ExecRequest(new Command.ShellScript(script), null, Map.of(), null, policy, null);
    }

    static ExecRequest argv(SandboxPolicy policy, String... argv) {
        return new ExecRequest(new Command.Argv(List.of(argv)), null, Map.of(), null, policy, null);
    }

    static SandboxPolicy minimal(Duration timeout) {
        return SandboxPolicy.minimal().withTimeout(timeout);
    }

    /**
     * Opens a test's directory (a fresh JUnit temporary directory, which is root's and 0700 when the tests run
     * as root) to the sandboxes, as a caller passing a workdir must: each sandbox has an id of its own, known
     * only when it starts, so the directory must be writable by others.
     */
    static Path giveToSandbox(Path dir) {
        try {
            if (RUN_AS.dropFromRoot()) {
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            return dir;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Whether {@code uid} is one the default settings hand to a sandbox (the id range as root, else this user). */
    static boolean isSandboxUid(long uid) {
        if (!RUN_AS.perSandbox()) {
            return uid == RUN_AS.uid();
        }
        ProcessBackendSettings.IdRange range = DEFAULTS.idRange();
        return uid >= range.first() && uid < (long) range.first() + range.count();
    }

    /**
     * {@code policy} without the cgroup limits this host cannot enforce (a non-root run without a delegated
     * cgroup), for tests about something else: the backend refuses such limits rather than run without them.
     */
    static dev.kavach.api.SandboxPolicy withoutUnenforceableLimits(dev.kavach.api.SandboxPolicy policy) {
        CgroupHost cgroups = FACTS.cgroups();
        return policy.withMemoryMiB(cgroups.canLimit("memory") ? policy.memoryMiB() : 0)
                .withMaxPids(cgroups.canLimit("pids") ? policy.maxPids() : 0)
                .withCpus(cgroups.canLimit("cpu") ? policy.cpus() : 0);
    }

    static void requireRoot() {
        Prerequisites.require(FACTS.root(), "running the tests as root (as CI does)");
    }

    /**
     * A new host directory that sandboxes see as the host's own, not behind their private /tmp, /var/tmp,
     * /dev/shm or /run/lock: the module's ./target, unless the checkout itself lies under one of those (a
     * clone in mktemp -d), then /var/lib/kavach-tests (as root).
     */
    static Path hostDir(String prefix) throws java.io.IOException {
        Path target = Path.of("target").toAbsolutePath();
        boolean masked = java.util.stream.Stream.of("/tmp", "/var/tmp", "/dev/shm", "/run/lock").map(Path::of).anyMatch(target::startsWith);
        Path base = target;
        if (masked || !java.nio.file.Files.isWritable(target)) {
            Prerequisites.require(FACTS.root(), "a host directory outside /tmp that sandboxes see: run from a checkout outside /tmp, or as root");
            base = java.nio.file.Files.createDirectories(Path.of("/var/lib/kavach-tests"));
        }
        return java.nio.file.Files.createTempDirectory(base, prefix);
    }

    static void requireBwrap() {
        Prerequisites.require(FACTS.bwrapUsable(), "bubblewrap that can create namespaces (apt-get install bubblewrap)");
    }

    static void requireRootCgroups(String... controllers) {
        for (String controller : controllers) {
            Prerequisites.require(FACTS.cgroups().canLimit(controller),
                    "a writable cgroup " + controller + " controller (v2, or v1 as root): run the tests as root, as CI does");
        }
    }

    static void requireTool(String name) {
        Prerequisites.require(HostTools.find(name, "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin").isPresent(),
                name + " (Debian: apt-get install " + switch (name) {
                    case "perl" -> "perl-base";
                    case "ip" -> "iproute2";
                    case "setsid", "unshare", "prlimit", "setpriv" -> "util-linux";
                    default -> name;
                } + ")");
    }

    /**
     * Whether {@code pid} is a live process. A zombie is dead: it was killed and only waits for whoever
     * adopted it (PID 1 for re-parented orphans) to collect its status.
     */
    static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Host PIDs of live processes whose command line contains {@code marker}. */
    static List<Long> liveHostProcessesWith(String marker) {
        return hostProcessesWith(marker).stream().filter(Sandboxes::isRunning).toList();
    }

    /** Host PIDs of live processes whose NUL-separated command line starts with {@code prefix} and contains {@code marker}. */
    static List<Long> liveHostProcessesStartingWith(String prefix, String marker) {
        return liveHostProcessesWith(marker).stream().filter(pid -> {
            try {
                return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8).startsWith(prefix);
            } catch (java.io.IOException e) {
                return false;
            }
        }).toList();
    }

    /** Whether any host process's command line contains {@code marker}. */
    static List<Long> hostProcessesWith(String marker) {
        try (var dirs = Files.list(Path.of("/proc"))) {
            return dirs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        try {
                            return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).contains(marker);
                        } catch (Exception e) {
                            return false;
                        }
                    })
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
