package dev.kavach.backend.process;

import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SeccompProfile;
import dev.kavach.api.process.CommandEnvironment;
import dev.kavach.api.process.OutputPump;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * Turns a request and its policy into a {@link LaunchPlan}, refusing with a
 * {@link PolicyNotEnforceableException} whatever this host cannot enforce. Pure: reads only facts cached
 * when the backend started, so planning costs microseconds and {@code --dry-run} shows the real argv.
 *
 * <p>Every preset runs through bubblewrap: the command always gets a new session (no controlling
 * terminal), its own user, PID, mount, IPC, UTS and cgroup namespaces, private size-capped /tmp, /var/tmp,
 * /dev/shm and /run/lock, and dies with Kavach. The chain is the launcher shell (descriptors, cgroups,
 * rlimits), setpriv when Kavach is root (the drop to the sandbox's own uid), bubblewrap, the command.
 */
final class LaunchPlanner {
    static final String INSTALL_BWRAP = "run kavach setup, or install bubblewrap 0.8 or later yourself (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)";
    /**
     * The fewest open files bubblewrap needs to set a sandbox up (measured: 0.8 fails below 10 with the
     * status and argument descriptors open), with room for the command's own stdio and libraries.
     */
    static final int MIN_OPEN_FILES = 16;

    /**
     * The only environment of the trusted programs that run before the command (launcher shell, setpriv,
     * bubblewrap): the request's could preload code into them (LD_PRELOAD, GCONV_PATH, BASH_ENV...) before
     * any isolation applies, as root when Kavach is root. The command gets its own from bubblewrap.
     */
    static final Map<String, String> LAUNCHER_ENV = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");

    private final ProcessBackendSettings settings;
    private final HostFacts facts;
    private final KavachCgroups cgroups;
    private final Map<SeccompProfile, Path> seccompFiles;
    private final Map<String, String> inheritedEnv;
    private final Path baseDir;
    private final Path sessionsRoot;

    LaunchPlanner(ProcessBackendSettings settings, HostFacts facts, KavachCgroups cgroups, Map<SeccompProfile, Path> seccompFiles, Path baseDir) {
        this(settings, facts, cgroups, seccompFiles, baseDir, baseDir);
    }

    /** @param sessionsRoot where session directories live ({@link SessionDirectories}): hidden from every sandbox like {@code baseDir} */
    LaunchPlanner(ProcessBackendSettings settings, HostFacts facts, KavachCgroups cgroups, Map<SeccompProfile, Path> seccompFiles, Path baseDir,
                  Path sessionsRoot) {
        this.settings = requireNonNull(settings, "settings is null");
        this.facts = requireNonNull(facts, "facts is null");
        this.cgroups = requireNonNull(cgroups, "cgroups is null");
        this.seccompFiles = Map.copyOf(seccompFiles);
        this.baseDir = requireNonNull(baseDir, "baseDir is null");
        this.sessionsRoot = requireNonNull(sessionsRoot, "sessionsRoot is null");
        Map<String, String> inherited = new HashMap<>();
        for (String name : settings.inheritEnv()) {
            String value = System.getenv(name);
            if (value != null) {
                inherited.put(name, value);
            }
        }
        this.inheritedEnv = Map.copyOf(inherited);
    }

    /**
     * The environment the command sees: inherited names, then the request's, then a default PATH and
     * PWD (the working directory; shells and bubblewrap set it anyway, so it is set here consistently).
     */
    Map<String, String> environment(ExecRequest request, Path workdir) {
        Map<String, String> requested = new HashMap<>(inheritedEnv);
        requested.putAll(request.env());
        return CommandEnvironment.of(requested, workdir, settings.defaultPath());
    }

    /** Host directories the sandbox replaces with private ones, so a program there is not what the command would find. */
    List<Path> hiddenDirs(SandboxPolicy policy) {
        List<Path> hidden = new ArrayList<>(List.of(Path.of("/tmp"), Path.of("/var/tmp"), Path.of("/dev/shm"), baseDir, sessionsRoot));
        hidden.add(policy.network() ? Path.of("/run/lock") : Path.of("/run"));
        return hidden;
    }

    /**
     * Plans one exec.
     *
     * @param request  the request
     * @param execId   a name for the exec's cgroups and private files, unique among running execs
     * @param workdir  the requested host directory, or where the private scratch tmpfs is mounted
     * @param scratch  whether {@code workdir} is the private scratch tmpfs
     * @param identity who the command runs as (with its own ids when Kavach is root)
     */
    LaunchPlan plan(ExecRequest request, String execId, Path workdir, boolean scratch, RunAs identity) {
        return plan(request, execId, workdir, workdir, scratch, identity);
    }

    /**
     * Plans one exec whose command starts in {@code chdir}, a directory inside the writable {@code workdir}
     * (a session's subdirectory).
     */
    LaunchPlan plan(ExecRequest request, String execId, Path workdir, Path chdir, boolean scratch, RunAs identity) {
        SandboxPolicy policy = request.policy();
        requireBwrap();
        if (policy.seccomp() != SeccompProfile.NONE && (!facts.seccomp() || !facts.x86_64())) {
            throw new PolicyNotEnforceableException("seccomp profile " + name(policy.seccomp()) + " cannot be enforced: "
                    + (!facts.seccomp() ? "the kernel has no seccomp support" : "Kavach's seccomp programs exist for x86_64 only, this is "
                    + System.getProperty("os.arch")) + "; the command was not started",
                    "use seccomp none on this host, or run on an x86_64 Linux kernel with seccomp");
        }
        if (policy.maxOpenFiles() > 0 && policy.maxOpenFiles() < MIN_OPEN_FILES) {
            throw new PolicyNotEnforceableException("max open files " + policy.maxOpenFiles() + " is below the " + MIN_OPEN_FILES
                    + " the sandbox launcher (bubblewrap) needs to set the sandbox up, and the limit is inherited from it; the command was not started",
                    "allow at least " + MIN_OPEN_FILES + " open files, or 0 for no limit");
        }
        if (identity.dropFromRoot() && facts.setpriv().isEmpty()) {
            throw new PolicyNotEnforceableException("Kavach runs as root and must run the command as " + identity.name()
                    + ", but setpriv (util-linux) is not installed to drop privileges; the command was not started",
                    "install util-linux (Debian: apt-get install util-linux), or set " + RunAs.KEY + " = root to accept host root");
        }
        Map<String, String> env = environment(request, chdir);
        List<Enforcement> enforcement = new ArrayList<>();
        String seccompFile = policy.seccomp() == SeccompProfile.NONE ? null : seccompFiles.get(policy.seccomp()).toString();
        List<String> options = bwrapOptions(policy, workdir, chdir, scratch, seccompFile != null, env);
        describe(policy, workdir, scratch, seccompFile != null, identity, enforcement);

        cgroups.checkEnforceable(policy);
        CgroupPlan cgroup = null;
        if (policy.memoryMiB() > 0 || policy.maxPids() > 0 || policy.cpus() > 0) {
            // The PID namespace already kills the whole tree: a cgroup is made only for limits.
            cgroup = cgroups.plan(execId, policy, false);
            enforcement.addAll(cgroup.enforcement());
        }
        // What the exec's tree kill (ExecCgroup, NamespaceTreeKill) does, on timeout and after every exit.
        enforcement.add(Enforcement.of(Enforcement.TIMEOUT, (cgroup != null ? cgroup.killMechanism() + "; then " : "") + NamespaceTreeKill.MECHANISM));

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
        enforcement.add(OutputPump.enforcement(policy.outputLimitBytes()));

        List<String> chain = new ArrayList<>();
        if (identity.dropFromRoot()) {
            chain.add(facts.setpriv().orElseThrow().toString());
            chain.addAll(identity.setprivArgs());
        }
        chain.addAll(List.of(facts.bwrap().orElseThrow().toString(), "--args", Integer.toString(LauncherScript.ARGS_FD), "--"));
        chain.addAll(request.command().argv());
        Path statusFile = baseDir.resolve(execId + ".status");
        Path argsFile = baseDir.resolve(execId + ".args");
        List<String> procs = cgroup == null ? List.of() : cgroup.procsFiles();
        List<String> argv = LauncherScript.argv(facts.shell().map(Path::toString).orElse(settings.shell()), statusFile.toString(),
                argsFile.toString(), openFiles, fileSizeBlocks, seccompFile, procs, chain);
        return new LaunchPlan(argv, options, LAUNCHER_ENV, env, statusFile, argsFile, scratch, cgroup, enforcement);
    }

    private List<String> bwrapOptions(SandboxPolicy policy, Path workdir, Path chdir, boolean scratch, boolean seccomp, Map<String, String> env) {
        String dir = workdir.toString();
        String size = Long.toString(settings.scratchSize());
        List<String> argv = new ArrayList<>(64 + 3 * env.size());
        // Every namespace, the user namespace explicitly (--disable-userns needs it); with network allowed the
        // host's is kept, otherwise the sandbox has its own whose loopback (up) reaches nothing outside.
        argv.addAll(List.of("--unshare-all", "--unshare-user"));
        if (policy.network()) {
            argv.add("--share-net");
        }
        if (policy.seccomp() != SeccompProfile.NONE) {
            argv.add("--disable-userns");
        }
        argv.addAll(List.of("--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "kavach"));
        argv.addAll(List.of(policy.readOnlyRoot() ? "--ro-bind" : "--bind", "/", "/"));
        // A command running as host root (run-as = root) could, by file permissions alone, write cgroup files
        // (leaving its limits) and host-wide sysctls. Those stay read-only even when the rest of the root is writable.
        argv.addAll(List.of("--ro-bind", "/sys", "/sys"));
        argv.addAll(List.of("--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys",
                "--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger", "--ro-bind-try", "/proc/irq", "/proc/irq",
                "--ro-bind-try", "/proc/bus", "/proc/bus"));
        argv.addAll(List.of("--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm"));
        // The host's shared writable places, each replaced by a private, size-capped tmpfs.
        argv.addAll(List.of("--size", size, "--tmpfs", "/tmp"));
        if (Files.isDirectory(Path.of("/var/tmp"))) {
            argv.addAll(List.of("--size", size, "--tmpfs", "/var/tmp"));
        }
        if (!policy.network()) {
            // /run holds the host's service sockets (docker, containerd, dbus): a file-system path reaches
            // them whatever the network namespace, so without network they are hidden too. (With network
            // allowed, name resolution may need /run, e.g. systemd-resolved's resolv.conf.)
            argv.addAll(List.of("--size", size, "--tmpfs", "/run"));
        } else if (Files.isDirectory(Path.of("/run/lock"))) {
            argv.addAll(List.of("--size", size, "--tmpfs", "/run/lock"));
        }
        if (!baseDir.startsWith("/tmp") && !baseDir.startsWith("/var/tmp")) {
            // Kavach's private files (status, arguments) stay out of sight wherever java.io.tmpdir points.
            argv.addAll(List.of("--size", "65536", "--tmpfs", baseDir.toString()));
        }
        if (!sessionsRoot.equals(baseDir) && !sessionsRoot.startsWith("/tmp") && !sessionsRoot.startsWith("/var/tmp")) {
            // Every session's directory is out of sight too; a session's own is bound back below.
            argv.addAll(List.of("--size", "65536", "--tmpfs", sessionsRoot.toString()));
        }
        if (scratch) {
            argv.addAll(List.of("--perms", "0700", "--size", size, "--tmpfs", dir));
        } else {
            argv.addAll(List.of("--bind", dir, dir));
        }
        argv.addAll(List.of("--chdir", chdir.toString()));
        if (seccomp) {
            argv.addAll(List.of("--seccomp", Integer.toString(LauncherScript.SECCOMP_FD)));
        }
        argv.addAll(List.of("--json-status-fd", Integer.toString(LauncherScript.STATUS_FD)));
        // bubblewrap itself ran with LAUNCHER_ENV; the command gets exactly its own environment.
        argv.add("--clearenv");
        new TreeMap<>(env).forEach((name, value) -> argv.addAll(List.of("--setenv", name, value)));
        return argv;
    }

    private void describe(SandboxPolicy policy, Path workdir, boolean scratch, boolean seccomp, RunAs identity, List<Enforcement> enforcement) {
        String size = settings.scratchSize() / (1024 * 1024) + " MiB";
        enforcement.add(new Enforcement("namespaces", facts.bwrapVersion() + ": new user"
                + (policy.seccomp() != SeccompProfile.NONE ? " (no nested user namespaces: --disable-userns)" : "")
                + ", pid, mount, ipc, uts and cgroup namespaces" + (policy.network() ? "" : " and a network namespace")
                + "; a new session (setsid: no controlling terminal)"));
        enforcement.add(new Enforcement("network", policy.network() ? "host network shared (policy allows network)"
                : "a private network namespace (bwrap --unshare-net): only its own loopback, which is up and reaches nothing outside "
                + "the sandbox (as docker --network none)"));
        enforcement.add(new Enforcement("filesystem", (policy.readOnlyRoot() ? "read-only bind of / " : "writable bind of / (as the sandbox's user) ")
                + "with private tmpfs /tmp, /var/tmp, /dev/shm and " + (policy.network() ? "/run/lock" : "/run (host service sockets hidden)")
                + ", fresh /proc and /dev, read-only /sys and /proc/sys, and "
                + (scratch ? "a private scratch work directory " : "a writable bind of the work directory ") + workdir));
        enforcement.add(new Enforcement("disk", "each private tmpfs (/tmp, /var/tmp, /dev/shm, " + (policy.network() ? "/run/lock" : "/run")
                + (scratch ? ", the scratch work directory" : "") + ") capped at " + size + " (kavach.backends.process.scratch-size)"
                + (scratch ? "" : "; the host work directory " + workdir + " is bounded only per file"
                + (policy.maxFileSizeBytes() > 0 ? " (RLIMIT_FSIZE)" : ", not at all (no file size limit)"))));
        enforcement.add(new Enforcement("user", identity.describe(settings.idRange())));
        enforcement.add(new Enforcement("hygiene", "bwrap --cap-drop ALL --new-session --die-with-parent; no_new_privs; "
                + "only fds 0-2 inherited; environment replaced by the request's, handed to bubblewrap on a private descriptor "
                + "(bwrap --args), never in any process's argv"));
        enforcement.add(new Enforcement("report", "the launcher's and bubblewrap's status travel on a private descriptor to a file of "
                + "Kavach's (bwrap --json-status-fd), never on the command's stderr"));
        if (seccomp) {
            enforcement.add(new Enforcement("seccomp", "classic BPF filter '" + name(policy.seccomp()) + "' built by Kavach (x86_64 arch "
                    + "check, x32 blocked, " + SeccompProgram.deniedCount(policy.seccomp()) + " syscalls denied with EPERM, among them "
                    + "unshare, setns, the mount API, keyctl, bpf, perf_event_open, userfaultfd, ptrace and io_uring; clone with namespace "
                    + "flags denied, clone3 -> ENOSYS; socket families beyond unix/inet/inet6/netlink (AF_VSOCK too) -> EAFNOSUPPORT; "
                    + "TIOCSTI/TIOCLINUX ioctls and unusual personality flags denied) via bwrap --seccomp"));
        }
    }

    private void requireBwrap() {
        if (facts.bwrap().isEmpty()) {
            throw new PolicyNotEnforceableException("every command runs inside bubblewrap, but bubblewrap ('" + settings.bwrap()
                    + "') is not installed; the command was not started", INSTALL_BWRAP + ", or set kavach.backends.process.bwrap to its path");
        }
        if (!facts.bwrapWorks()) {
            throw new PolicyNotEnforceableException("bubblewrap at " + facts.bwrap().get() + " cannot make a sandbox here ("
                    + facts.bwrapError() + "); the command was not started",
                    UserNamespaceFix.forThisHost(facts.bwrap()));
        }
    }

    private static String name(SeccompProfile profile) {
        return profile.name().toLowerCase(java.util.Locale.ROOT);
    }
}
