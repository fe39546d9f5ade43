package dev.kavach.api.process;

import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxException;
import dev.kavach.api.StdStream;
import dev.kavach.api.StreamOutput;
import dev.kavach.api.io.BoundedCapture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * Runs host command lines to their end, with everything a host-process backend needs. Thread-safe: one
 * runner serves every exec of a backend.
 *
 * <p>{@link #exec(ExecRequest, OutputListener, CommandWrapper)} does a whole exec: private scratch
 * directory (or the request's), the environment rule, the program check (FAILED_TO_START), then
 * {@link #run(Launch)}, the result and its enforcement notes. {@code run} alone starts a prepared command
 * line: feeds stdin on its own thread, drains both streams on theirs into bounded captures, waits for the
 * deadline, then kills the whole tree through the {@link TreeKill}, on timeout to stop the work, after an
 * exit to stop what the command left running, and reports what survived. {@link #close()} kills every
 * tree still running, which is what a backend's own {@code close} needs.
 */
public final class ProcessRunner implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();
    // Reused daemon threads: a thread start per stream per exec would show in the latency of short commands.
    private static final ExecutorService IO = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "kavach-kit-io-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });
    private static final String SCRATCH_PREFIX = "kavach-exec-";
    private static final java.util.concurrent.atomic.AtomicBoolean SWEPT = new java.util.concurrent.atomic.AtomicBoolean();
    private static final Optional<Path> SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of)
            .filter(Files::isExecutable).findFirst();

    private final TreeKill treeKill;
    private final Duration drainGrace;
    private final String defaultPath;
    /** Every launched process still being waited for, with how to kill its tree, for close. */
    private final Map<Process, Running> running = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    private ProcessRunner(Builder builder) {
        this.treeKill = builder.treeKill;
        this.drainGrace = builder.drainGrace;
        this.defaultPath = builder.defaultPath;
    }

    /** A runner with the kit's top-down tree kill, a 2 s drain grace and the default {@code PATH}. */
    public static ProcessRunner create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs one exec of {@code request} as a host process: the request's workdir (an existing directory) or
     * a private scratch directory deleted afterwards; the environment of {@link CommandEnvironment}; the
     * program looked up on that {@code PATH} (not found or not executable: {@code FAILED_TO_START}, and
     * nothing starts); then {@code wrapper}'s host command line within the policy's output limit and the
     * request's timeout. The result carries {@code timeout} and {@code output} enforcement notes; the
     * backend adds its own with {@link ExecResult#toBuilder()}.
     *
     * <p>The runner enforces only time and output. A backend checks the rest of the policy, and throws
     * {@link dev.kavach.api.PolicyNotEnforceableException} for what it cannot enforce, before calling this.
     *
     * @throws SandboxException when the launcher cannot be started, the workdir is unusable, the caller is
     *                          interrupted (the tree is killed first) or a process of the tree survived
     *                          the kill
     */
    public ExecResult exec(ExecRequest request, OutputListener listener, CommandWrapper wrapper) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        requireNonNull(wrapper, "wrapper is null");
        requireOpen();
        OwnedDirectory scratch = null;
        try {
            Path workdir;
            if (request.workdir() != null) {
                workdir = Path.of(request.workdir());
                if (!workdir.isAbsolute() || !Files.isDirectory(workdir)) {
                    throw new SandboxException("workdir " + request.workdir() + " is not an existing absolute directory",
                            "create it first, or omit workdir for a private scratch directory");
                }
            } else {
                sweepOnce();
                scratch = OwnedDirectory.create(Path.of(System.getProperty("java.io.tmpdir")), SCRATCH_PREFIX);
                // The command's own directory inside it: the owner lock stays out of its sight.
                workdir = Files.createDirectory(scratch.path().resolve("work"));
            }
            Map<String, String> env = CommandEnvironment.of(request.env(), workdir, defaultPath);
            List<String> argv = request.command().argv();
            ProgramLookup program = ProgramLookup.find(argv.get(0), env.get("PATH"), workdir);
            if (!program.found()) {
                return program.failedToStart().build();
            }
            List<String> resolved = new ArrayList<>(argv);
            resolved.set(0, program.path().toString());
            Launch launch = Launch.builder(wrapper.wrap(List.copyOf(resolved), env, workdir)).env(env).directory(workdir)
                    .stdin(request.stdinSource()).timeout(request.effectiveTimeout()).outputLimit(request.policy().outputLimitBytes())
                    .listener(listener).build();
            RunReport report = run(launch);
            requireDead(report, argv.get(0));
            if (closed && !report.timedOut()) {
                return report.toKilledResult("the sandbox was closed while the command ran; its process tree was killed").build();
            }
            return report.toResult(request.effectiveTimeout())
                    .addEnforcement(Enforcement.of(Enforcement.TIMEOUT, report.treeKill().mechanism()),
                            OutputPump.enforcement(request.policy().outputLimitBytes()))
                    .build();
        } catch (IOException e) {
            throw new SandboxException("cannot start " + request.command().argv().get(0) + ": " + e.getMessage(),
                    "check that the backend's launcher is installed and java.io.tmpdir is writable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while running " + request.command().argv().get(0) + "; its process tree was killed", "");
        } finally {
            if (scratch != null) {
                scratch.close();
            }
        }
    }

    /**
     * Runs a prepared host command line to its end and reports what happened. The tree is always killed
     * before this returns (see {@link RunReport#treeKill()} for what survived, if anything).
     *
     * @throws IOException          the command line could not be started (the launcher is missing)
     * @throws InterruptedException the caller was interrupted; the tree was killed first
     */
    public RunReport run(Launch launch) throws IOException, InterruptedException {
        requireNonNull(launch, "launch is null");
        requireOpen();
        boolean group = launch.ownProcessGroup() && SETSID.isPresent();
        List<String> argv = new ArrayList<>();
        if (group) {
            // A new session makes the command a process group leader; what it leaves behind stays in the group.
            argv.add(SETSID.get().toString());
        }
        argv.addAll(launch.argv());

        boolean keep = launch.listener().keepInResult();
        BoundedCapture out = new BoundedCapture(launch.outputLimit(), keep);
        BoundedCapture err = new BoundedCapture(launch.outputLimit(), keep);
        long start = System.nanoTime();
        Process process;
        AutoCloseable scope = launch.spawnScope().enter();
        try {
            process = launch.starter().start(List.copyOf(argv), launch.env(), launch.directory());
        } finally {
            leave(scope);
        }
        long processGroup = group ? process.pid() : -1;
        TreeKill treeKill = launch.treeKill() != null ? launch.treeKill() : this.treeKill;
        running.put(process, new Running(processGroup, treeKill));
        try {
            return awaitAndKill(launch, process, processGroup, treeKill, keep, out, err, start);
        } finally {
            running.remove(process);
        }
    }

    private RunReport awaitAndKill(Launch launch, Process process, long processGroup, TreeKill treeKill, boolean keep, BoundedCapture out,
                                   BoundedCapture err, long start) throws IOException, InterruptedException {
        if (closed) {
            treeKill.kill(process.toHandle(), processGroup); // closed during the spawn: close did not see it
        }
        launch.onStart().accept(process);
        OutputPump outPump = new OutputPump(StdStream.STDOUT, process.getInputStream(), out, launch.listener());
        OutputPump errPump = new OutputPump(StdStream.STDERR, process.getErrorStream(), err, launch.listener());
        IO.execute(outPump);
        IO.execute(errPump);
        StdinFeeder.feed(process.getOutputStream(), launch.stdin(), IO);

        boolean timedOut;
        try {
            timedOut = !process.waitFor(launch.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            treeKill.kill(process.toHandle(), processGroup);
            throw e;
        }
        // On timeout this stops the work; after a normal exit it stops what the command left running.
        TreeKillReport killed = treeKill.kill(process.toHandle(), processGroup);
        process.waitFor(10, TimeUnit.SECONDS);
        boolean drained = outPump.await(drainGrace) & errPump.await(drainGrace);
        long end = System.nanoTime();
        if (!drained) {
            // Something outside the tree holds the pipes: stop reading rather than hang the caller.
            process.getInputStream().close();
            process.getErrorStream().close();
        }
        int exitCode = process.isAlive() ? 137 : process.exitValue();
        RuntimeException listenerFailure = outPump.listenerFailure() != null ? outPump.listenerFailure() : errPump.listenerFailure();
        return new RunReport(exitCode, output(out, keep), output(err, keep), Duration.ofNanos(end - start), timedOut, !drained,
                listenerFailure, killed);
    }

    /** Kills every tree still running (their execs return at once) and refuses new work. Idempotent. */
    @Override
    public void close() {
        closed = true;
        running.forEach((process, run) -> run.treeKill().kill(process.toHandle(), run.processGroup()));
    }

    /** A launched process being waited for: its process group (or -1) and how its tree is killed. */
    private record Running(long processGroup, TreeKill treeKill) {
    }

    /** How many launched processes are being waited for now. */
    public int runningCount() {
        return running.size();
    }

    /** Whether {@link #close()} was called. */
    public boolean closed() {
        return closed;
    }

    private void requireOpen() {
        if (closed) {
            throw new dev.kavach.api.SandboxStateException("the sandbox is closed", "create a new sandbox");
        }
    }

    private static void requireDead(RunReport report, String program) {
        if (!report.treeKill().clean()) {
            throw new SandboxException("processes of " + program + " survived the kill of its tree: pids " + report.treeKill().survivors(),
                    "they may run as another user or have left the tree; run commands in a PID namespace or cgroup (a TreeKill of the backend's own)");
        }
    }

    private static void leave(AutoCloseable scope) throws IOException {
        try {
            scope.close();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private static StreamOutput output(BoundedCapture capture, boolean keep) {
        return keep ? capture.toOutput() : new StreamOutput(new byte[0], capture.dropped());
    }

    /** Once per JVM: the scratch directories that runners of Kavach processes now gone left behind. */
    private static void sweepOnce() {
        if (SWEPT.compareAndSet(false, true)) {
            OwnedDirectory.sweep(Path.of(System.getProperty("java.io.tmpdir")), SCRATCH_PREFIX);
        }
    }

    /** Configures a {@link ProcessRunner}. */
    public static final class Builder {
        private TreeKill treeKill = TreeKill.topDown();
        private Duration drainGrace = Duration.ofSeconds(2);
        private String defaultPath = CommandEnvironment.DEFAULT_PATH;

        private Builder() {
        }

        /** How the tree is killed; {@link TreeKill#topDown()} by default. */
        public Builder treeKill(TreeKill value) {
            this.treeKill = requireNonNull(value, "treeKill is null");
            return this;
        }

        /** How long to wait for the output pipes to close once the tree is dead. */
        public Builder drainGrace(Duration value) {
            requireNonNull(value, "drainGrace is null");
            if (value.isNegative()) {
                throw new IllegalArgumentException("drainGrace must be >= 0, got " + value);
            }
            this.drainGrace = value;
            return this;
        }

        /** The {@code PATH} a command gets when its request sets none. */
        public Builder defaultPath(String value) {
            this.defaultPath = requireNonNull(value, "defaultPath is null");
            return this;
        }

        public ProcessRunner build() {
            return new ProcessRunner(this);
        }
    }
}
