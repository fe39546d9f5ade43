package dev.kavach.backend.process;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Health;
import dev.kavach.api.Outcome;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.SeccompProfile;
import dev.kavach.api.StreamOutput;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * The process backend's live instance: plans each exec against host facts found once, creates the exec's
 * cgroups, runs the launcher through {@link ProcessExecutor}, and reports what enforced what. Thread-safe;
 * each exec is independent.
 */
public final class ProcessSandboxBackend implements SandboxBackend {
    private static final AtomicLong EXEC_COUNTER = new AtomicLong();

    private final ProcessBackendSettings settings;
    private final HostFacts facts;
    private final Path baseDir;
    private final LaunchPlanner planner;
    private final RunAs runAs;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ProcessSandboxBackend(ProcessBackendSettings settings, HostFacts facts) {
        this.settings = requireNonNull(settings, "settings is null");
        this.facts = requireNonNull(facts, "facts is null");
        this.runAs = RunAs.resolve(settings.runAs());
        try {
            // Private home for the seccomp programs and per-exec scratch directories: 0700, or 0711 when commands
            // run as another user, who must reach their own scratch directory but may list nothing here. The
            // seccomp programs stay root's: the launcher opens them before it drops privileges.
            this.baseDir = Files.createTempDirectory("kavach-process-");
            if (runAs.dropFromRoot()) {
                Files.setPosixFilePermissions(baseDir, PosixFilePermissions.fromString("rwx--x--x"));
            }
            Map<SeccompProfile, Path> programs = new EnumMap<>(SeccompProfile.class);
            for (SeccompProfile profile : List.of(SeccompProfile.BASIC, SeccompProfile.STRICT)) {
                Path file = baseDir.resolve("seccomp-" + profile.name().toLowerCase() + ".bpf");
                Files.write(file, SeccompProgram.forProfile(profile));
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
                programs.put(profile, file);
            }
            this.planner = new LaunchPlanner(settings, facts, KavachCgroups.prepare(facts.cgroups(), settings.cgroupParent()), programs,
                    runAs);
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
        if (closed) {
            throw new SandboxStateException("the process backend is closed", "create a new sandbox");
        }
        String execId = "k" + ProcessHandle.current().pid() + "-" + EXEC_COUNTER.incrementAndGet();
        Path scratch = null;
        ExecCgroup cgroup = null;
        try {
            Path workdir;
            if (request.workdir() != null) {
                workdir = requestedWorkdir(request.workdir());
                if (runAs.dropFromRoot()) {
                    requireReachable(workdir);
                }
            } else {
                scratch = Files.createDirectory(baseDir.resolve(execId));
                if (runAs.dropFromRoot()) {
                    Files.setAttribute(scratch, "unix:gid", runAs.gid());
                    Files.setAttribute(scratch, "unix:uid", runAs.uid());
                }
                workdir = scratch;
            }
            LaunchPlan plan = planner.plan(request, execId, workdir);
            CommandResolution resolution = CommandResolution.resolve(request.command().argv().get(0), plan.commandEnv(), workdir,
                    plan.argv().contains("--tmpfs")); // bubblewrap gives the command a private /tmp
            if (resolution.status() != 0) {
                byte[] message = ("kavach: " + resolution.message() + "\n").getBytes(StandardCharsets.UTF_8);
                return new ExecResult(resolution.status(), StreamOutput.EMPTY, new StreamOutput(message, 0), Duration.ZERO,
                        Outcome.FAILED_TO_START, resolution.message(), plan.enforcement(), null);
            }
            cgroup = plan.cgroup() == null ? null : plan.cgroup().apply();
            ExecCgroup group = cgroup;
            ProcessExecutor.SpawnScope spawnScope = group != null && plan.cgroup().joinByThread() ? group::joinCallingThread
                    : ProcessExecutor.SpawnScope.NONE;
            ProcessExecutor.TreeKill treeKill = treeKill(cgroup);
            ProcessExecutor.Result result;
            try {
                result = ProcessExecutor.run(new ProcessExecutor.Spec(plan.argv(), plan.env(), plan.directory(), request.stdinSource(),
                        request.effectiveTimeout(), request.policy().outputLimitBytes(), listener, spawnScope, running::add, treeKill,
                        settings.drainGrace()));
            } catch (IOException e) {
                throw new SandboxException("cannot start the launcher " + plan.argv().get(0) + ": " + e.getMessage(),
                        "check kavach.backends.process.shell, bwrap and unshare", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while running " + request.command().argv().get(0) + "; its process tree was killed", "");
            }
            return classify(request, plan, cgroup, result);
        } catch (IOException e) {
            throw new SandboxException("cannot prepare the exec's scratch directory: " + e.getMessage(),
                    "make " + baseDir + " writable", e);
        } finally {
            if (cgroup != null) {
                cgroup.remove();
            }
            if (scratch != null) {
                deleteTree(scratch);
            }
        }
    }

    private ExecResult classify(ExecRequest request, LaunchPlan plan, ExecCgroup cgroup, ProcessExecutor.Result result) {
        String stderr = result.stderr().text();
        if (result.exitCode() == LauncherScript.ERROR_EXIT && stderr.startsWith(LauncherScript.ERROR_PREFIX)) {
            throw new SandboxException("the sandbox launcher failed before the command started: " + stderr.strip(),
                    "check that the cgroup hierarchies under " + settings.cgroupRoot() + " are writable");
        }
        Outcome outcome = Outcome.COMPLETED;
        List<String> details = new ArrayList<>();
        if (result.timedOut()) {
            outcome = Outcome.TIMED_OUT;
            details.add("timed out after " + describe(request.effectiveTimeout()) + "; the whole process tree was killed");
        } else if (cgroup != null && cgroup.oomKilled()) {
            details.add("memory limit " + request.policy().memoryMiB() + " MiB exceeded: the kernel's OOM killer killed a process");
            if (result.exitCode() >= 128) {
                outcome = Outcome.KILLED;
            }
        } else if (request.policy().maxFileSizeBytes() > 0 && result.exitCode() == 128 + 25) {
            outcome = Outcome.KILLED;
            details.add("file size limit " + request.policy().maxFileSizeBytes() + " bytes exceeded (SIGXFSZ)");
        }
        if (result.pipesLeftOpen()) {
            details.add("output pipes were still open " + describe(settings.drainGrace()) + " after the process tree was killed; stopped reading");
        }
        if (result.listenerFailure() != null) {
            details.add("the output listener failed (" + result.listenerFailure() + "); output kept draining into the result only");
        }
        return new ExecResult(result.exitCode(), result.stdout(), result.stderr(), result.duration(), outcome,
                String.join("; ", details), plan.enforcement(), null);
    }

    private ProcessExecutor.TreeKill treeKill(ExecCgroup cgroup) {
        return process -> {
            if (cgroup != null) {
                cgroup.kill();
            }
            if (process.isAlive()) {
                // The launcher is bwrap or unshare (killing it kills its PID namespace through
                // PR_SET_PDEATHSIG), or the command itself when no cgroup exists.
                List<ProcessHandle> descendants = process.descendants().toList();
                process.destroyForcibly();
                descendants.forEach(ProcessHandle::destroyForcibly);
            }
            running.remove(process);
        };
    }

    @Override
    public Optional<List<String>> commandLine(ExecRequest request) {
        Path workdir = request.workdir() != null ? Path.of(request.workdir()) : baseDir.resolve("<scratch>");
        return Optional.of(planner.plan(request, "<exec-id>", workdir).argv());
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
        for (Process process : running) {
            // Killing the launcher takes a PID namespace with it; cgroup members are killed by the exec itself.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        planner.close();
        deleteTree(baseDir);
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
    private void requireReachable(Path workdir) throws IOException {
        for (Path dir = workdir; dir != null; dir = dir.getParent()) {
            Map<String, Object> attributes = Files.readAttributes(dir, "unix:mode,uid,gid");
            int mode = (Integer) attributes.get("mode");
            int bit = (Integer) attributes.get("uid") == runAs.uid() ? 0100 : (Integer) attributes.get("gid") == runAs.gid() ? 010 : 01;
            if ((mode & bit) == 0) {
                throw new SandboxException("workdir " + workdir + " is out of reach of uid " + runAs.uid() + " (" + runAs.name()
                        + "), which commands run as: " + dir + " is not searchable by it",
                        "give the directory to that user (chown " + runAs.uid() + ":" + runAs.gid() + " " + workdir + ") and make "
                                + dir + " searchable (chmod o+x), or set " + RunAs.KEY);
            }
        }
    }

    private static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | RuntimeException e) {
            // Leftover scratch files are harmless; they are under a private temporary directory.
        }
    }
}
