package dev.kavach.backend.process;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Health;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.SeccompProfile;
import dev.kavach.api.process.Launch;
import dev.kavach.api.process.OwnedDirectory;
import dev.kavach.api.process.ProcessRunner;
import dev.kavach.api.process.ProcessStarter;
import dev.kavach.api.process.ProgramLookup;
import dev.kavach.api.process.RunReport;
import dev.kavach.api.process.TreeKill;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * The process backend's live instance: plans each exec against host facts found once, gives it an identity
 * of its own (a uid from the id range when Kavach is root), creates the exec's cgroups and private files,
 * runs the launcher through the kit's {@link ProcessRunner} (its tree killed through the exec's cgroup and
 * bubblewrap's PID namespace), and reports what enforced what. Thread-safe; each exec
 * is independent.
 */
public final class ProcessSandboxBackend implements SandboxBackend {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessSandboxBackend.class);
    private static final AtomicLong EXEC_COUNTER = new AtomicLong();
    /** Prefix of every backend's private directory, an {@link OwnedDirectory}: {@code <prefix><pid>-<random>}. */
    static final String BASE_DIR_PREFIX = "kavach-process-";
    /** The owner lock of the private and the sessions directories (see {@link OwnedDirectory#sweep}). */
    static final String OWNER_LOCK = OwnedDirectory.OWNER_LOCK;

    private final ProcessBackendSettings settings;
    private final HostFacts facts;
    private final Path baseDir;
    private final OwnedDirectory privateDir;
    private final LaunchPlanner planner;
    private final RunAs runAs;
    private final SandboxIds ids;
    private final ProcessRunner runner;
    private final SessionDirectories sessions;
    private final Set<ProcessSession> openSessions = ConcurrentHashMap.newKeySet();
    /** Forks every launch (started with the first), or {@code null}: not yet, turned off, or it could not start. */
    private ForkServer forkServer;
    private boolean forkServerTried;
    private volatile boolean closed;

    ProcessSandboxBackend(ProcessBackendSettings settings, HostFacts facts) {
        this(settings, facts, SandboxIds.DEFAULT_DIR);
    }

    ProcessSandboxBackend(ProcessBackendSettings settings, HostFacts facts, Path idLockDir) {
        this.settings = requireNonNull(settings, "settings is null");
        this.facts = requireNonNull(facts, "facts is null");
        this.runAs = RunAs.resolve(settings.runAs());
        this.runner = ProcessRunner.builder().drainGrace(settings.drainGrace()).build();
        this.ids = runAs.perSandbox() ? new SandboxIds(idLockDir, settings.idRange()) : null;
        try {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            List<Path> swept = OwnedDirectory.sweep(tmp, BASE_DIR_PREFIX);
            if (!swept.isEmpty()) {
                LOG.debug("removed the private directories of Kavach processes that are gone: {}", swept);
            }
            // Private home for the seccomp programs and per-exec status and argument files: 0700, opened by the
            // launcher before it drops privileges, and hidden inside every sandbox. Its held owner lock tells a
            // later Kavach whether this directory's owner is still alive (see OwnedDirectory.sweep).
            this.privateDir = OwnedDirectory.create(tmp, BASE_DIR_PREFIX);
            this.baseDir = privateDir.path();
            Map<SeccompProfile, Path> programs = new EnumMap<>(SeccompProfile.class);
            for (SeccompProfile profile : List.of(SeccompProfile.BASIC, SeccompProfile.STRICT)) {
                Path file = baseDir.resolve("seccomp-" + profile.name().toLowerCase() + ".bpf");
                Files.write(file, SeccompProgram.forProfile(profile));
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
                programs.put(profile, file);
            }
            this.sessions = SessionDirectories.create(tmp, runAs.dropFromRoot());
            this.planner = new LaunchPlanner(settings, facts, KavachCgroups.prepare(facts.cgroups(), settings.cgroupParent()), programs, baseDir,
                    sessions.root());
            LOG.debug("private directory {} (seccomp programs, per-exec status and argument files), sessions under {}; commands run as {}",
                    baseDir, sessions.root(), runAs.describe(settings.idRange()));
        } catch (IOException e) {
            throw new SandboxException("cannot create the process backend's private directory: " + e.getMessage(),
                    "make java.io.tmpdir (" + System.getProperty("java.io.tmpdir") + ") writable", e);
        }
    }

    /** Creates a backend from settings, probing the host once. */
    public static ProcessSandboxBackend create(ProcessBackendSettings settings) {
        return new ProcessSandboxBackend(settings, HostFacts.detect(settings));
    }

    @Override
    public ExecResult exec(ExecRequest request) {
        return exec(request, OutputListener.NONE);
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        requireOpen();
        if (request.movesFiles()) {
            if (request.workdir() != null) {
                throw new SandboxException("files and collect use the exec's own working directory, but workdir " + request.workdir()
                        + " was given", "omit workdir (the files then go to a directory of the exec's own), or open a session");
            }
            // The scratch tmpfs exists only inside the sandbox: files need a host directory, so the exec runs in a
            // session of its own that ends with it.
            try (ProcessSession once = openSession(request.policy())) {
                return once.exec(request, listener);
            }
        }
        return run(request, listener, null);
    }

    /**
     * Opens a session: a directory of its own under {@link SessionDirectories}, owned by a sandbox uid held for
     * the whole session (so that every exec may change what the ones before it wrote).
     */
    @Override
    public ProcessSession openSession(SandboxPolicy policy) {
        requireNonNull(policy, "policy is null");
        requireOpen();
        // Refuse what this host cannot enforce before anything is made (planning is pure).
        planner.plan(ExecRequest.of("true").withPolicy(policy), "<session>", sessions.root(), false,
                runAs.perSandbox() ? runAs.forSandbox(settings.idRange().first()) : runAs);
        SandboxIds.Lease lease = ids == null ? null : ids.take();
        try {
            RunAs identity = lease == null ? runAs : runAs.forSandbox(lease.id());
            ConfinedFiles.Owner owner = identity.dropFromRoot() ? new ConfinedFiles.Owner(identity.uid(), identity.gid()) : ConfinedFiles.Owner.KAVACH;
            Path dir = sessions.create(owner);
            ProcessSession session = new ProcessSession(this, policy, new ConfinedFiles(dir, owner), identity, lease, openSessions::remove);
            openSessions.add(session);
            return session;
        } catch (RuntimeException e) {
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
    }

    /**
     * How an exec of a session runs: in the session's directory, as the session's identity.
     *
     * @param dir      the session directory, bound writable
     * @param chdir    where the command starts, {@code dir} or a directory inside it
     * @param identity who the command runs as
     * @param started  told each launched process, so that closing the session can stop it
     * @param closing  whether the session is being closed, which makes a stopped exec KILLED rather than its exit status
     */
    record SessionBinding(Path dir, Path chdir, RunAs identity, java.util.function.Consumer<Process> started,
                          java.util.function.BooleanSupplier closing) {
    }

    /** Runs one exec: in a session's directory when {@code session} is given, else in a scratch or the requested directory. */
    ExecResult run(ExecRequest request, OutputListener listener, SessionBinding session) {
        requireOpen();
        String execId = "k" + ProcessHandle.current().pid() + "-" + EXEC_COUNTER.incrementAndGet();
        long start = System.nanoTime();
        ExecCgroup cgroup = null;
        LaunchPlan plan = null;
        SandboxIds.Lease lease = null;
        try {
            lease = ids == null || session != null ? null : ids.take();
            RunAs identity = session != null ? session.identity() : lease == null ? runAs : runAs.forSandbox(lease.id());
            Path workdir;
            boolean scratch = request.workdir() == null && session == null;
            if (session != null) {
                workdir = session.dir();
            } else if (!scratch) {
                workdir = requestedWorkdir(request.workdir());
                if (identity.dropFromRoot()) {
                    requireReachable(workdir, identity, runAs.perSandbox());
                }
            } else {
                workdir = baseDir.resolve(execId); // a private tmpfs inside the sandbox; nothing on the host
            }
            Path chdir = session != null ? session.chdir() : workdir;
            plan = planner.plan(request, execId, workdir, chdir, scratch, identity);
            ProgramLookup program = SandboxProgramLookup.find(request.command().argv().get(0), plan.commandEnv(), chdir,
                    planner.hiddenDirs(request.policy()));
            if (!program.found()) {
                LOG.debug("exec {}: {} fails to start ({}); nothing was run", execId, request.command().argv().get(0), program.message());
                return program.failedToStart().enforcement(plan.enforcement()).build();
            }
            writePrivate(plan.argsFile(), nulSeparated(plan.bwrapOptions()));
            writePrivate(plan.statusFile(), new byte[0]);
            cgroup = plan.cgroup() == null ? null : plan.cgroup().apply();
            // A uid of the sandbox's own (leased per exec, or held by its session) names exactly its processes.
            TreeKill namespaceKill = new NamespaceTreeKill(plan.statusFile(), identity.uid(), lease != null || session != null && identity.perSandbox());
            Launch launch = Launch.builder(plan.argv()).env(plan.env()).directory(Path.of("/")).stdin(request.stdinSource()).starter(starter())
                    .onStart(session == null ? started -> { } : session.started())
                    .timeout(request.effectiveTimeout()).outputLimit(request.policy().outputLimitBytes()).listener(listener)
                    // The launcher holds the tree in bubblewrap's PID namespace (and the exec's cgroup): no setsid of the kit's.
                    .ownProcessGroup(false).treeKill(cgroup == null ? namespaceKill : cgroup.treeKill().andThen(namespaceKill)).build();
            if (LOG.isDebugEnabled()) {
                LOG.debug("exec {} planned in {} us as uid {}: launcher {}; bubblewrap options (from the private --args file) {}", execId,
                        (System.nanoTime() - start) / 1000, identity.uid(), plan.argv(), plan.loggableOptions());
            }
            RunReport report;
            try {
                report = runner.run(launch);
            } catch (IOException e) {
                throw new SandboxException("cannot start the launcher " + plan.argv().get(0) + ": " + e.getMessage(),
                        "check kavach.backends.process.shell and bwrap", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while running " + request.command().argv().get(0) + "; its process tree was killed", "");
            }
            LOG.debug("exec {} ended after {} ms: exit {}{}; tree kill: {} killed, {} survived", execId, report.duration().toMillis(),
                    report.exitCode(), report.timedOut() ? " (timed out)" : "", report.treeKill().killed().size(), report.treeKill().survivors());
            if (!report.treeKill().clean()) {
                throw new SandboxException("processes of exec " + execId + " survived the kill of its sandbox: pids " + report.treeKill().survivors()
                        + " (" + report.treeKill().mechanism() + ")", "report this as a Kavach bug, with the kernel version and "
                        + "kavach backends' output; kill those processes by hand");
            }
            return classify(request, plan, cgroup, report, LaunchStatus.parse(NamespaceTreeKill.read(plan.statusFile())),
                    session != null && session.closing().getAsBoolean());
        } catch (IOException e) {
            throw new SandboxException("cannot write the exec's private files under " + baseDir + ": " + e.getMessage(),
                    "make " + baseDir + " writable", e);
        } finally {
            if (cgroup != null) {
                cgroup.remove();
            }
            if (plan != null) {
                deleteQuietly(plan.argsFile());
                deleteQuietly(plan.statusFile());
            }
            if (lease != null) {
                lease.close();
                LOG.debug("exec {}: sandbox id {} returned", execId, lease.id());
            }
        }
    }

    /** The fork server, started on first use; the JVM's own spawn where it is off or cannot run here. */
    private synchronized ProcessStarter starter() {
        if (!forkServerTried && settings.forkServer() && !closed) {
            forkServerTried = true;
            try {
                forkServer = ForkServer.start(baseDir, LauncherScript.SCRIPT, LaunchPlanner.LAUNCHER_ENV, HostTools.hostPath());
            } catch (IOException e) {
                LOG.debug("no fork server ({}): every launch is spawned from the JVM", e.getMessage());
            }
        }
        return forkServer != null && forkServer.usable() ? forkServer : ProcessStarter.DIRECT;
    }

    /** The fork server's pid while it serves launches, for tests and the debug log. */
    synchronized java.util.OptionalLong forkServerPid() {
        return forkServer != null && forkServer.usable() ? java.util.OptionalLong.of(forkServer.pid()) : java.util.OptionalLong.empty();
    }

    /** The backend's private directory (requests, FIFOs, status and argument files). */
    Path privateDirectory() {
        return baseDir;
    }

    private ExecResult classify(ExecRequest request, LaunchPlan plan, ExecCgroup cgroup, RunReport report, LaunchStatus status,
                                boolean sessionClosing) {
        ExecResult.Builder result;
        if (report.timedOut()) {
            result = report.toResult(request.effectiveTimeout());
        } else if (runner.closed()) {
            // Also when the kill came before bubblewrap made the sandbox: Kavach stopped it, the launcher did not fail.
            result = report.toKilledResult("the sandbox was closed while the command ran; its process tree was killed");
        } else if (sessionClosing) {
            result = report.toKilledResult("the session was closed while the command ran; its process tree was killed");
        } else if (!status.sandboxStarted()) {
            // Only Kavach's own file decides this; nothing untrusted ran, so bubblewrap's stderr is its own too.
            String why = !status.launcherErrors().isEmpty() ? String.join("; ", status.launcherErrors())
                    : "exited " + report.exitCode() + " before the sandbox existed" + firstLine(report.stderr().text());
            throw new SandboxException("the sandbox launcher failed before the command started: " + why,
                    "check the cgroup hierarchies under " + settings.cgroupRoot() + ", the policy's limits and kavach.backends.process.bwrap");

        } else if (cgroup != null && cgroup.oomKilled()) {
            String oom = "memory limit " + request.policy().memoryMiB() + " MiB exceeded: the kernel's OOM killer killed a process";
            result = report.exitCode() >= 128 ? report.toKilledResult(oom) : report.toResult(request.effectiveTimeout()).addDetail(oom);
        } else if (request.policy().maxFileSizeBytes() > 0 && report.exitCode() == 128 + 25) {
            result = report.toKilledResult("file size limit " + request.policy().maxFileSizeBytes() + " bytes exceeded (SIGXFSZ)");
        } else if (request.policy().seccomp() != SeccompProfile.NONE && report.exitCode() == 128 + 31) {
            result = report.toKilledResult("killed by SIGSYS (exit 159), the signal the seccomp filter '"
                    + request.policy().seccomp().name().toLowerCase(java.util.Locale.ROOT)
                    + "' kills with: the command made a system call of another architecture (e.g. 32-bit int 0x80)");
        } else {
            result = report.toResult(request.effectiveTimeout());
        }
        return result.enforcement(plan.enforcement()).build();
    }

    private static String firstLine(String text) {
        String line = text.strip().lines().findFirst().orElse("");
        return line.isEmpty() ? "" : ": " + (line.length() > 300 ? line.substring(0, 300) + "..." : line);
    }

    /**
     * SIGKILLs every process of a sandbox's own uid, until none is left (bounded): with an id per sandbox,
     * the uid names exactly that sandbox's processes, wherever they re-parented.
     */
    static void killAllOf(int uid) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            List<ProcessHandle> left = NamespaceTreeKill.processesOf(uid);
            if (left.isEmpty()) {
                return;
            }
            left.forEach(ProcessHandle::destroyForcibly);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static byte[] nulSeparated(List<String> options) {
        StringBuilder text = new StringBuilder();
        for (String option : options) {
            text.append(option).append('\0');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Writes a file only Kavach's user can read: the launcher opens it before any drop of privileges. */
    private static void writePrivate(Path file, byte[] content) throws IOException {
        Files.write(file, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // removed with the private directory when the backend closes
        }
    }

    @Override
    public Optional<List<String>> commandLine(ExecRequest request) {
        boolean scratch = request.workdir() == null;
        Path workdir = scratch ? baseDir.resolve("<exec-id>") : Path.of(request.workdir());
        RunAs identity = runAs.perSandbox() ? runAs.forSandbox(settings.idRange().first()) : runAs;
        return Optional.of(planner.plan(request, "<exec-id>", workdir, scratch, identity).equivalentArgv());
    }

    @Override
    public Health health() {
        return closed ? Health.unhealthy("closed") : Health.ok();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Kills every running exec's tree as the exec itself would (its cgroup, then its PID namespace); each
        // exec then returns KILLED and cleans up after itself.
        runner.close();
        synchronized (this) {
            if (forkServer != null) {
                forkServer.close();
            }
        }
        for (ProcessSession session : List.copyOf(openSessions)) {
            try {
                session.close();
            } catch (RuntimeException e) {
                // the directory goes with the sessions root below
            }
        }
        privateDir.close();
        sessions.close();
        LOG.debug("closed; removed the private directory {} and the sessions under {}", baseDir, sessions.root());
    }

    private static Path requestedWorkdir(String workdir) {
        Path path = Path.of(workdir);
        if (!path.isAbsolute()) {
            throw new SandboxException("workdir '" + workdir + "' is not an absolute path", "pass an absolute host directory");
        }
        if (!Files.isDirectory(path)) {
            throw new SandboxException("workdir " + workdir + " does not exist or is not a directory", "create it first, or omit workdir for a private scratch directory");
        }
        Path real;
        try {
            real = path.toRealPath(); // a symlink must not smuggle one of the paths below in
        } catch (IOException e) {
            throw new SandboxException("workdir " + workdir + " cannot be resolved: " + e.getMessage(), "pass an existing host directory", e);
        }
        // The workdir is bound writable over the sandbox's root: a system directory (or an ancestor of one)
        // would make the read-only root writable, or replace the private /proc, /dev, /tmp or the hidden /run.
        for (Path system : SYSTEM_DIRS) {
            // A directory of its own inside the private /tmp is fine: it is bound over that one path only.
            boolean inside = real.startsWith(system) && !system.equals(TMP);
            if (inside || system.startsWith(real)) {
                throw new PolicyNotEnforceableException("workdir " + workdir + (real.equals(path) ? "" : " (" + real + ")")
                        + " is, contains or lies inside the system directory " + system + ", which the sandbox must keep private or "
                        + "read-only; the command was not started", "use a directory of its own, e.g. under /srv or /var/tmp, or omit workdir");
            }
        }
        return real;
    }

    private static final Path TMP = Path.of("/tmp");

    /** Directories a writable workdir bind must neither be nor contain, nor (but for /tmp) lie inside. */
    private static final List<Path> SYSTEM_DIRS = Stream.of("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
            "/proc", "/run", "/sbin", "/sys", "/usr", "/var/run", "/tmp").map(Path::of).toList();

    /**
     * Fails unless the run-as user may enter {@code workdir} (search permission on it and every ancestor):
     * otherwise the command would fail inside with a bare "permission denied".
     */
    private static void requireReachable(Path workdir, RunAs runAs, boolean perSandbox) throws IOException {
        for (Path dir = workdir; dir != null; dir = dir.getParent()) {
            Map<String, Object> attributes = Files.readAttributes(dir, "unix:mode,uid,gid");
            int mode = (Integer) attributes.get("mode");
            int bit = (Integer) attributes.get("uid") == runAs.uid() ? 0100 : (Integer) attributes.get("gid") == runAs.gid() ? 010 : 01;
            if ((mode & bit) == 0 && perSandbox) {
                // Each sandbox's uid is known only when it starts: only the "others" bits can let it in.
                throw new SandboxException("workdir " + workdir + " is out of reach of the sandbox, which runs as a uid of its own (one per "
                        + "sandbox, from kavach.backends.process.id-range): " + dir + " is not searchable by others",
                        "open it to the sandboxes (chmod o+rwx " + workdir + ", and o+x on " + dir + "), or set " + RunAs.KEY
                                + " to a fixed user and give the directory to that user");
            }
            if ((mode & bit) == 0) {
                throw new SandboxException("workdir " + workdir + " is out of reach of uid " + runAs.uid() + " (" + runAs.name()
                        + "), which commands run as: " + dir + " is not searchable by it",
                        "give the directory to that user (chown " + runAs.uid() + ":" + runAs.gid() + " " + workdir + ") and make "
                                + dir + " searchable (chmod o+x), or set " + RunAs.KEY);
            }
        }
    }


    private void requireOpen() {
        if (closed) {
            throw new SandboxStateException("the process backend is closed", "create a new sandbox");
        }
    }
}
