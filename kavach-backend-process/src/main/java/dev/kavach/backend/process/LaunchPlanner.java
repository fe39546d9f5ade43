package dev.kavach.backend.process;

import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SeccompProfile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * Turns a request and its policy into a {@link LaunchPlan}, refusing with a
 * {@link PolicyNotEnforceableException} whatever this host cannot enforce. Pure: reads only facts cached
 * when the backend started, so planning costs microseconds and {@code --dry-run} shows the real argv.
 */
final class LaunchPlanner {
    private static final String INSTALL_BWRAP = "run kavach setup, or install bubblewrap yourself (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)";

    private final ProcessBackendSettings settings;
    private final HostFacts facts;
    private final KavachCgroups cgroups;
    private final Map<SeccompProfile, Path> seccompFiles;
    private final Map<String, String> inheritedEnv;
    private final TrackingGroupPool trackingPool;
    private final RunAs runAs;

    LaunchPlanner(ProcessBackendSettings settings, HostFacts facts, KavachCgroups cgroups, Map<SeccompProfile, Path> seccompFiles,
                  RunAs runAs) {
        this.settings = requireNonNull(settings, "settings is null");
        this.runAs = requireNonNull(runAs, "runAs is null");
        this.facts = requireNonNull(facts, "facts is null");
        this.cgroups = requireNonNull(cgroups, "cgroups is null");
        this.seccompFiles = Map.copyOf(seccompFiles);
        Map<String, String> inherited = new HashMap<>();
        for (String name : settings.inheritEnv()) {
            String value = System.getenv(name);
            if (value != null) {
                inherited.put(name, value);
            }
        }
        this.inheritedEnv = Map.copyOf(inherited);
        this.trackingPool = cgroups.canTrackByThread() ? cgroups.trackingPool() : null;
    }

    /** Removes pooled cgroups; called when the backend closes. */
    void close() {
        if (trackingPool != null) {
            trackingPool.close();
        }
    }

    /** Whether the policy asks for anything only namespaces (and bubblewrap or unshare) can give. */
    /**
     * The only environment of the trusted programs that run before the command (launcher shell, unshare,
     * setpriv, bubblewrap, env): the request's could preload code into them (LD_PRELOAD, GCONV_PATH,
     * BASH_ENV...) before any isolation applies, as root when Kavach is root. The command gets its own
     * environment at the last hop (bwrap --clearenv --setenv, or env -i).
     */
    static final Map<String, String> LAUNCHER_ENV = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    private static final Path ENV = Path.of("/usr/bin/env");

    static boolean needsNamespaces(SandboxPolicy policy) {
        return !policy.network() || policy.readOnlyRoot() || policy.seccomp() != SeccompProfile.NONE;
    }

    /**
     * The environment the command sees: inherited names, then the request's, then a default PATH and
     * PWD (the working directory; shells and bubblewrap set it anyway, so it is set here consistently).
     */
    Map<String, String> environment(ExecRequest request, Path workdir) {
        Map<String, String> env = new HashMap<>(inheritedEnv);
        env.putAll(request.env());
        env.putIfAbsent("PATH", settings.defaultPath());
        env.putIfAbsent("PWD", workdir.toString());
        return env;
    }

    /**
     * Plans one exec.
     *
     * @param request the request
     * @param execId  a name for the exec's cgroups, unique among running execs
     * @param workdir the host directory the command runs in (the request's, or a fresh scratch directory)
     */
    LaunchPlan plan(ExecRequest request, String execId, Path workdir) {
        SandboxPolicy policy = request.policy();
        List<Enforcement> enforcement = new ArrayList<>();
        List<String> command = request.command().argv();
        Map<String, String> env = environment(request, workdir);
        List<String> directCommand = null;
        List<String> inner;
        boolean pidNamespace = false;
        String seccompFile = null;

        if (needsNamespaces(policy)) {
            Launcher launcher = chooseLauncher(policy);
            pidNamespace = true;
            if (launcher == Launcher.BWRAP) {
                if (policy.seccomp() != SeccompProfile.NONE) {
                    seccompFile = seccompFiles.get(policy.seccomp()).toString();
                }
                List<String> bwrap = bwrapArgv(policy, workdir, seccompFile != null, env, command);
                inner = policy.network() ? dropPrivileges(bwrap) : networkNamespace(bwrap);
                enforcement.add(new Enforcement("namespaces", "bubblewrap " + facts.bwrapVersion().replace("bubblewrap ", "")
                        + ": new pid, mount, ipc, uts and (where needed) user namespaces" + (policy.network() ? ""
                        : "; a new net namespace made by unshare just before")));
                enforcement.add(new Enforcement("network", policy.network() ? "host network shared (policy allows network)"
                        : "network namespace made by unshare before bubblewrap, which joins it (--share-net) instead of making its own "
                        + "and bringing its loopback up: the only interface is a loopback that stays down, so every connect, even to "
                        + "127.0.0.1 inside, fails (ENETUNREACH)"));
                enforcement.add(new Enforcement("filesystem", (policy.readOnlyRoot() ? "read-only bind of / " : "writable bind of / ")
                        + "with a private tmpfs /tmp, fresh /proc and /dev, read-only /sys and /proc/sys, "
                        + (policy.network() ? "" : "an empty /run (host service sockets hidden), ") + "and a writable bind of the work directory "
                        + workdir));
                enforcement.add(new Enforcement("hygiene", "bwrap --cap-drop ALL --new-session --die-with-parent; no_new_privs; "
                        + "only fds 0-2 inherited; environment replaced by the request's"));
                if (seccompFile != null) {
                    enforcement.add(new Enforcement("seccomp", "classic BPF filter '" + policy.seccomp().name().toLowerCase()
                            + "' built by Kavach (x86_64 arch check, x32 blocked, " + SeccompProgram.deniedCount(policy.seccomp())
                            + " syscalls denied with EPERM" + (policy.seccomp() == SeccompProfile.STRICT ? ", clone namespace flags and "
                            + "socket families beyond unix/inet/inet6/netlink denied, clone3 -> ENOSYS" : "") + ") via bwrap --seccomp"));
                }
            } else {
                inner = unshareArgv(policy, env, command);
                if (runAs.dropFromRoot()) {
                    requireSetpriv();
                }
                enforcement.add(new Enforcement("namespaces", "unshare: new pid, mount, ipc, uts" + (policy.network() ? "" : ", net")
                        + (facts.root() ? "" : ", user") + " namespaces; killed with its parent (--kill-child)"));
                enforcement.add(new Enforcement("network", policy.network() ? "host network shared (policy allows network)"
                        : "empty network namespace with its loopback down"));
                enforcement.add(new Enforcement("hygiene", (facts.setpriv().isPresent()
                        ? "setpriv --no-new-privs with an empty capability bounding set; " : "capabilities NOT dropped (setpriv missing); ")
                        + "killed with unshare (--kill-child); only fds 0-2 inherited; environment replaced by the request's"));
            }
        } else {
            directCommand = direct(command, env, workdir);
            inner = directCommand; // wrapped below when anything has to run before it
        }
        enforcement.add(new Enforcement("user", runAs.describe()));

        cgroups.checkEnforceable(policy);
        CgroupPlan cgroup = null;
        boolean limits = policy.memoryMiB() > 0 || policy.maxPids() > 0 || policy.cpus() > 0;
        // With a PID namespace, killing its init kills the tree; a cgroup is then only needed for limits.
        if (limits) {
            cgroup = cgroups.plan(execId, policy, !pidNamespace);
            enforcement.addAll(cgroup.enforcement());
        } else if (!pidNamespace && trackingPool != null && !Thread.currentThread().isVirtual()) {
            // The fast path for minimal: no launcher process at all. A virtual thread may change carrier
            // threads, so it cannot stand in a cgroup while spawning.
            cgroup = cgroups.planThreadTracking(trackingPool);
        } else if (!pidNamespace && cgroups.canTrackTree()) {
            cgroup = cgroups.plan(execId, policy, true);
        }
        if (pidNamespace) {
            enforcement.add(new Enforcement("timeout", "SIGKILL of the PID namespace's init, which takes every process in it along"
                    + (cgroup != null ? ", then of every member of the exec's cgroup" : "")));
        } else if (cgroup != null) {
            enforcement.add(new Enforcement("timeout", cgroup.killMechanism()));
        } else {
            enforcement.add(new Enforcement("timeout", "SIGKILL of the process and its descendants as listed by the kernel; "
                    + "processes that re-parent themselves away escape (no writable cgroup on this host)"));
        }

        OptionalLong openFiles = OptionalLong.empty();
        OptionalLong fileSizeBlocks = OptionalLong.empty();
        if (policy.maxOpenFiles() > 0) {
            openFiles = OptionalLong.of(policy.maxOpenFiles());
            enforcement.add(new Enforcement("open-files", "rlimit RLIMIT_NOFILE=" + policy.maxOpenFiles() + " (soft and hard)"));
        }
        if (policy.maxFileSizeBytes() > 0) {
            // POSIX ulimit -f counts 512-byte blocks: round down so the limit is never looser than asked.
            long blocks = policy.maxFileSizeBytes() / 512;
            fileSizeBlocks = OptionalLong.of(blocks);
            enforcement.add(new Enforcement("file-size", "rlimit RLIMIT_FSIZE=" + blocks * 512 + " bytes (soft and hard)"));
        }
        enforcement.add(new Enforcement("output", policy.outputLimitBytes() == 0 ? "unbounded (policy output limit 0)"
                : policy.outputLimitBytes() + " bytes kept per stream; the rest drained, counted and dropped"));

        List<String> procs = cgroup == null ? List.of() : cgroup.procsFiles();
        boolean launcherStep = !(procs.isEmpty() && openFiles.isEmpty() && fileSizeBlocks.isEmpty() && seccompFile == null);
        if (directCommand != null && (launcherStep || runAs.dropFromRoot())) {
            inner = dropPrivileges(withEnvironment(env, directCommand));
        }
        // Nothing for the launcher step to do: bwrap or unshare straight away, or the command itself.
        List<String> argv = launcherStep
                ? LauncherScript.argv(facts.shell().map(Path::toString).orElse(settings.shell()), openFiles, fileSizeBlocks, seccompFile, procs, inner)
                : inner;
        // Only a command spawned directly, with nothing before it, receives its environment from the spawn.
        boolean commandFirst = directCommand != null && argv == directCommand;
        return new LaunchPlan(argv, commandFirst ? env : LAUNCHER_ENV, env, workdir, cgroup, pidNamespace, enforcement);
    }

    /**
     * The command for a spawn without namespaces. Java looks a bare program name up on the JVM's own PATH,
     * so it is resolved here on the command's PATH instead; argv[0] becomes that absolute path (its base
     * name is unchanged), which also keeps a name like {@code -c} from being read as an option by a shell's
     * {@code exec}.
     */
    private static List<String> direct(List<String> command, Map<String, String> env, Path workdir) {
        CommandResolution found = CommandResolution.resolve(command.get(0), env, workdir, false);
        if (found.path() == null) {
            return command; // reported as 127/126 before anything starts
        }
        List<String> argv = new ArrayList<>(command);
        argv.set(0, found.path().toString());
        return argv;
    }

    /**
     * {@code env -i -- NAME=VALUE... command}: the command's environment handed over at the last hop, after
     * every trusted program ran with {@link #LAUNCHER_ENV}. No shell; each assignment is one argument.
     */
    private static List<String> withEnvironment(Map<String, String> env, List<String> command) {
        if (command.get(0).indexOf('=') >= 0) {
            // env would read it as one more assignment instead of the program.
            throw new PolicyNotEnforceableException("the program path '" + command.get(0) + "' contains '=', which env(1) would take for "
                    + "an environment assignment; the command was not started", "rename or link the program to a path without '='");
        }
        if (!Files.isExecutable(ENV)) {
            throw new PolicyNotEnforceableException(ENV + " (coreutils) is missing, and the command's environment is handed over with it "
                    + "so that no trusted launcher sees it; the command was not started", "install coreutils");
        }
        List<String> argv = new ArrayList<>(4 + env.size() + command.size());
        argv.addAll(List.of(ENV.toString(), "-i", "--"));
        new TreeMap<>(env).forEach((name, value) -> argv.add(name + "=" + value));
        argv.addAll(command);
        return argv;
    }

    /** Prefixes {@code setpriv} dropping to the configured user when Kavach runs as root; else unchanged. */
    private List<String> dropPrivileges(List<String> then) {
        if (!runAs.dropFromRoot()) {
            return then;
        }
        requireSetpriv();
        List<String> argv = new ArrayList<>(8 + then.size());
        argv.add(facts.setpriv().orElseThrow().toString());
        argv.addAll(runAs.setprivArgs());
        argv.addAll(then);
        return argv;
    }

    /**
     * Prefixes {@code unshare} making the network namespace (as root, and then dropping privileges; otherwise
     * inside a user namespace mapping the current user to itself). bubblewrap would bring up the loopback
     * of a namespace it made itself; one made beforehand keeps its loopback down.
     */
    private List<String> networkNamespace(List<String> bwrap) {
        if (facts.unshare().isEmpty()) {
            throw new PolicyNotEnforceableException("the policy turns the network off, which needs a network namespace whose loopback "
                    + "stays down, made by unshare, but unshare ('" + settings.unshare() + "') is not installed; the command was not started",
                    "install util-linux (it provides unshare), set kavach.backends.process.unshare to its path, or allow network");
        }
        List<String> argv = new ArrayList<>(12 + bwrap.size());
        argv.add(facts.unshare().get().toString());
        if (!facts.root()) {
            argv.addAll(List.of("--user", "--map-current-user"));
        }
        argv.add("--net");
        if (runAs.dropFromRoot() && facts.unshareSetuid() && !facts.bwrapSetuid()) {
            // One exec instead of unshare then setpriv: unshare clears the supplementary groups, sets the gid, then
            // the uid, which drops every capability. bubblewrap (not setuid, so it cannot regain root) sets
            // no_new_privs for the command itself.
            argv.addAll(List.of("--setgid", Integer.toString(runAs.gid()), "--setuid", Integer.toString(runAs.uid()), "--"));
            argv.addAll(bwrap);
        } else {
            argv.add("--");
            argv.addAll(dropPrivileges(bwrap));
        }
        return argv;
    }

    private void requireSetpriv() {
        if (facts.setpriv().isEmpty()) {
            throw new PolicyNotEnforceableException("Kavach runs as root and must run the command as " + runAs.name() + " (uid " + runAs.uid()
                    + "), but setpriv (util-linux) is not installed to drop privileges; the command was not started",
                    "install util-linux (Debian: apt-get install util-linux), or set " + RunAs.KEY + " = root to accept host root");
        }
    }

    private enum Launcher { BWRAP, UNSHARE }

    private Launcher chooseLauncher(SandboxPolicy policy) {
        List<String> needs = new ArrayList<>();
        if (policy.readOnlyRoot()) {
            needs.add("a read-only root");
        }
        if (policy.seccomp() != SeccompProfile.NONE) {
            needs.add("seccomp profile " + policy.seccomp().name().toLowerCase());
        }
        boolean bwrapNeeded = !needs.isEmpty();
        if (policy.seccomp() != SeccompProfile.NONE && (!facts.seccomp() || !facts.x86_64())) {
            throw new PolicyNotEnforceableException("seccomp profile " + policy.seccomp().name().toLowerCase()
                    + " cannot be enforced: " + (!facts.seccomp() ? "the kernel has no seccomp support" : "Kavach's seccomp programs exist for x86_64 only, this is " + System.getProperty("os.arch"))
                    + "; the command was not started", "use seccomp none on this host, or run on an x86_64 Linux kernel with seccomp");
        }
        switch (settings.launcher()) {
            case BWRAP -> {
                requireBwrap("kavach.backends.process.launcher = bwrap");
                return Launcher.BWRAP;
            }
            case UNSHARE -> {
                if (bwrapNeeded) {
                    throw new PolicyNotEnforceableException("the policy needs " + String.join(" and ", needs)
                            + ", which the unshare launcher cannot provide; the command was not started",
                            "set kavach.backends.process.launcher = auto or bwrap (and " + INSTALL_BWRAP + "), or relax the policy");
                }
                requireUnshare();
                return Launcher.UNSHARE;
            }
            default -> {
                if (facts.bwrapUsable()) {
                    return Launcher.BWRAP;
                }
                if (bwrapNeeded) {
                    requireBwrap("the policy needs " + String.join(" and ", needs));
                }
                requireUnshare();
                return Launcher.UNSHARE;
            }
        }
    }

    private void requireBwrap(String why) {
        if (facts.bwrap().isEmpty()) {
            throw new PolicyNotEnforceableException(why + ", but bubblewrap ('" + settings.bwrap()
                    + "') is not installed; the command was not started", INSTALL_BWRAP + ", or set kavach.backends.process.bwrap to its path");
        }
        if (!facts.bwrapWorks()) {
            throw new PolicyNotEnforceableException(why + ", but bubblewrap at " + facts.bwrap().get() + " cannot create namespaces here ("
                    + facts.bwrapError() + "); the command was not started",
                    UserNamespaceFix.forThisHost(facts.bwrap()));
        }
    }

    private void requireUnshare() {
        if (facts.unshare().isEmpty()) {
            throw new PolicyNotEnforceableException("the policy needs namespaces (no network or process isolation), but neither bubblewrap nor unshare is available; "
                    + "the command was not started", INSTALL_BWRAP + ", or install util-linux for unshare");
        }
        if (!facts.root() && !facts.userNamespaces().ok()) {
            throw new PolicyNotEnforceableException("the policy needs namespaces, but this user may not create user namespaces ("
                    + facts.userNamespaces().detail() + "); the command was not started",
                    UserNamespaceFix.forThisHost(facts.bwrap()));
        }
    }

    private List<String> bwrapArgv(SandboxPolicy policy, Path workdir, boolean seccomp, Map<String, String> env, List<String> command) {
        String dir = workdir.toString();
        List<String> argv = new ArrayList<>(40 + command.size());
        argv.add(facts.bwrap().orElseThrow().toString());
        // Always --share-net: with network off the namespace is made beforehand (see networkNamespace).
        argv.addAll(List.of("--unshare-all", "--share-net"));
        argv.addAll(List.of("--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "kavach"));
        argv.addAll(List.of(policy.readOnlyRoot() ? "--ro-bind" : "--bind", "/", "/"));
        // A command running as host root (run-as = root) could, by file permissions alone, write cgroup files
        // (leaving its limits) and host-wide sysctls. Those stay read-only even when the rest of the root is writable.
        argv.addAll(List.of("--ro-bind", "/sys", "/sys"));
        argv.addAll(List.of("--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys",
                "--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger", "--ro-bind-try", "/proc/irq", "/proc/irq",
                "--ro-bind-try", "/proc/bus", "/proc/bus"));
        argv.addAll(List.of("--dev", "/dev", "--tmpfs", "/tmp"));
        if (!policy.network()) {
            // /run holds the host's service sockets (docker, containerd, dbus): a file-system path reaches
            // them whatever the network namespace, so without network they are hidden too. (With network
            // allowed, name resolution may need /run, e.g. systemd-resolved's resolv.conf.)
            argv.addAll(List.of("--tmpfs", "/run"));
        }
        argv.addAll(List.of("--bind", dir, dir, "--chdir", dir));
        if (seccomp) {
            argv.addAll(List.of("--seccomp", "3"));
        }
        // bubblewrap itself ran with LAUNCHER_ENV; the command gets exactly its own environment.
        argv.add("--clearenv");
        new TreeMap<>(env).forEach((name, value) -> argv.addAll(List.of("--setenv", name, value)));
        argv.add("--");
        argv.addAll(command);
        return argv;
    }

    private List<String> unshareArgv(SandboxPolicy policy, Map<String, String> env, List<String> command) {
        List<String> argv = new ArrayList<>(16 + command.size());
        argv.add(facts.unshare().orElseThrow().toString());
        if (!facts.root()) {
            argv.addAll(List.of("--user", "--map-root-user"));
        }
        argv.addAll(List.of("--pid", "--fork", "--kill-child", "--mount-proc", "--uts", "--ipc"));
        if (!policy.network()) {
            argv.add("--net");
        }
        argv.add("--");
        facts.setpriv().ifPresent(setpriv -> {
            argv.addAll(List.of(setpriv.toString(), "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"));
            if (runAs.dropFromRoot()) {
                // Inside the namespaces, which only root could make here: then leave root.
                argv.addAll(runAs.setprivArgs().subList(0, runAs.setprivArgs().size() - 2));
            }
            argv.add("--");
        });
        argv.addAll(withEnvironment(env, command));
        return argv;
    }
}
