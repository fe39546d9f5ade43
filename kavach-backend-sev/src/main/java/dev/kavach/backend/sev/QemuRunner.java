package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.AgentStatus;
import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.qemu.ConsoleTail;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.qemu.QemuLauncher;

import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;
import dev.kavach.api.StreamOutput;
import dev.kavach.api.io.BoundedCapture;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one QEMU VM to its end with two deadlines: the boot deadline (QEMU start until the agent reports
 * ready) and the exec deadline (ready until the VM powers off). When one expires the VM is stopped: QMP
 * {@code quit}, then SIGKILL of QEMU and anything it started. The serial console goes to a bounded tail,
 * never into the task's output; stdout, stderr and the status channel are each bounded on this side, so
 * the guest can neither fill the host's memory or disk nor mix one stream into another.
 */
final class QemuRunner {
    private static final Logger LOG = LoggerFactory.getLogger(QemuRunner.class);

    private static final Duration QUIT_GRACE = Duration.ofSeconds(3);
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
    private static final Duration POWEROFF_GRACE = Duration.ofSeconds(10);

    /** What one run produced. {@code bootFailure} is set when the guest never reported ready. */
    public record Run(
            Optional<String> bootFailure,
            boolean timedOut,
            String stoppedBy,
            List<String> status,
            StreamOutput stdout,
            StreamOutput stderr,
            ConsoleTail console,
            ConsoleTail qemuLog,
            long qemuPid,
            Optional<Integer> qemuExit,
            Duration boot,
            Duration exec) {
        public Run {
            status = List.copyOf(status);
        }

        /** The exit code the agent reported, if it reported a valid one (0..255). */
        public Optional<Integer> exitCode() {
            return AgentStatus.of(status).exitCode();
        }

        /** The value of the first status line starting with {@code key + " "}. */
        public Optional<String> statusValue(String key) {
            return status.stream().filter(l -> l.startsWith(key + " ")).findFirst().map(l -> l.substring(key.length() + 1));
        }
    }

    /** Limits and deadlines of one run. */
    public record Limits(Duration bootTimeout, Duration execTimeout, long outputLimit, int consoleTailBytes, int statusLimitBytes) {
        public Limits {
            requireNonNull(bootTimeout, "bootTimeout is null");
            requireNonNull(execTimeout, "execTimeout is null");
        }
    }

    private QemuRunner() {
    }

    public static Run run(QemuArgs args, VmChannels channels, byte[] task, Limits limits, OutputListener listener) throws IOException, InterruptedException {
        requireNonNull(args, "args is null");
        return run(new QemuLauncher(args.argv(), java.util.OptionalInt.empty()), channels, task, limits, listener);
    }

    /** Runs the VM with the command line {@code launcher} gives (setpriv, privilege drop) around QEMU's own. */
    static Run run(QemuLauncher launcher, VmChannels channels, byte[] task, Limits limits, OutputListener listener) throws IOException, InterruptedException {
        requireNonNull(task, "task is null");
        return run(launcher, channels, (TaskWriter) channel -> writeFully(channel, task), limits, listener);
    }

    /** As {@link #run(QemuLauncher, VmChannels, byte[], Limits, OutputListener)}, the task archive streamed from a file. */
    static Run run(QemuLauncher launcher, VmChannels channels, Path task, Limits limits, OutputListener listener) throws IOException, InterruptedException {
        requireNonNull(task, "task is null");
        return run(launcher, channels, (TaskWriter) channel -> {
            try (FileChannel file = FileChannel.open(task, StandardOpenOption.READ)) {
                long size = file.size();
                for (long sent = 0; sent < size; ) {
                    sent += file.transferTo(sent, size - sent, channel);
                }
            }
        }, limits, listener);
    }

    /** Sends the task archive to the guest. */
    @FunctionalInterface
    private interface TaskWriter {
        void writeTo(SocketChannel channel) throws IOException;
    }

    private static Run run(QemuLauncher launcher, VmChannels channels, TaskWriter task, Limits limits, OutputListener listener) throws IOException, InterruptedException {
        requireNonNull(launcher, "launcher is null");
        requireNonNull(channels, "channels is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(listener, "listener is null");
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<SocketChannel> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        ConsoleTail console = new ConsoleTail(limits.consoleTailBytes());
        // QEMU's own messages apart from the guest's serial console: after the task has started only these may be quoted.
        ConsoleTail qemuLog = new ConsoleTail(limits.consoleTailBytes());
        Process qemu = null;
        try {
            List<Path> paths = List.of(channels.qmp(), channels.task(), channels.stdout(), channels.stderr(), channels.status());
            for (Path path : paths) {
                Files.deleteIfExists(path);
                ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                servers.add(server);
                server.bind(UnixDomainSocketAddress.of(path));
                server.configureBlocking(false);
            }
            if (launcher.uid().isPresent()) {
                QemuLauncher.handOver(channels.qmp().getParent(), paths, launcher.uid().getAsInt());
            }
            long started = System.nanoTime();
            long bootDeadline = started + limits.bootTimeout().toNanos();
            ProcessBuilder builder = new ProcessBuilder(launcher.argv())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            // QEMU gets no environment from the host: nothing of the task or the host leaks into it.
            builder.environment().clear();
            builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
            LOG.debug("starting QEMU{}: {}", launcher.uid().isPresent() ? " as uid " + launcher.uid().getAsInt() : "",
                    String.join(" ", launcher.argv()));
            qemu = builder.start();
            try {
                if (Files.exists(channels.qmp().getParent().resolve(VmWorkDirs.OWNER))) {
                    VmWorkDirs.recordQemu(channels.qmp().getParent(), qemu.toHandle());
                }
            } catch (IOException e) {
                // the parent-death signal still stops this QEMU; the record only serves a later sweep
            }
            Process process = qemu;
            threads.add(daemon("qemu-console", () -> pump(process.getInputStream(), console)));
            threads.add(daemon("qemu-stderr", () -> pump(process.getErrorStream(), qemuLog)));

            SocketChannel[] accepted = acceptChannels(servers, qemu, bootDeadline, clients);
            if (accepted == null && !qemu.isAlive()) {
                return bootFailure("QEMU exited (status " + qemu.waitFor() + ") before connecting its channels", console, qemuLog, qemu, started, threads);
            }
            if (accepted == null) {
                stop(qemu, null);
                return bootFailure("QEMU did not connect its channels within " + limits.bootTimeout().toSeconds() + " s", console, qemuLog, qemu, started, threads);
            }
            SocketChannel qmp = accepted[0];
            threads.add(daemon("qemu-qmp", () -> discard(qmp)));
            SocketChannel taskChannel = accepted[1];
            threads.add(daemon("vm-task", () -> {
                try {
                    task.writeTo(taskChannel);
                } catch (IOException e) {
                    return; // the VM ended before taking the task: reported through the status channel
                }
                discard(taskChannel); // the guest may write here; read it away so QEMU never stalls
            }));
            BoundedCapture out = new BoundedCapture(limits.outputLimit(), listener.keepInResult());
            BoundedCapture err = new BoundedCapture(limits.outputLimit(), listener.keepInResult());
            Thread outReader = daemon("vm-stdout", () -> capture(accepted[2], out, StdStream.STDOUT, listener));
            Thread errReader = daemon("vm-stderr", () -> capture(accepted[3], err, StdStream.STDERR, listener));
            CountDownLatch ready = new CountDownLatch(1);
            List<String> status = new CopyOnWriteArrayList<>();
            Thread statusReader = daemon("vm-status", () -> statusLines(accepted[4], limits.statusLimitBytes(), status, ready));
            threads.addAll(List.of(outReader, errReader, statusReader));

            while (!ready.await(5, TimeUnit.MILLISECONDS)) {
                if (!qemu.isAlive()) {
                    statusReader.join(DRAIN_GRACE.toMillis());
                    String reason = status.stream().filter(l -> l.startsWith("error ")).findFirst().map(l -> "the guest agent failed: " + l.substring(6))
                            .orElse("the VM stopped (QEMU status " + qemu.exitValue() + ") before the guest agent reported ready");
                    return bootFailure(reason, console, qemuLog, qemu, started, threads);
                }
                if (System.nanoTime() > bootDeadline) {
                    stop(qemu, qmp);
                    return bootFailure("the guest agent did not report ready within the boot timeout of " + limits.bootTimeout().toSeconds() + " s",
                            console, qemuLog, qemu, started, threads);
                }
            }
            long readyAt = System.nanoTime();
            long execDeadline = readyAt + limits.execTimeout().toNanos();
            long exitSeenAt = 0;
            boolean finished = false;
            String stoppedBy = "";
            while (!(finished = qemu.waitFor(20, TimeUnit.MILLISECONDS))) {
                long now = System.nanoTime();
                if (exitSeenAt == 0 && status.stream().anyMatch(l -> l.startsWith("exit "))) {
                    exitSeenAt = now;
                }
                if (exitSeenAt != 0 && now - exitSeenAt > POWEROFF_GRACE.toNanos()) {
                    // The agent reported the exit code but the VM did not power off: the result stands, the VM goes.
                    stop(qemu, qmp);
                    finished = true;
                    break;
                }
                if (exitSeenAt == 0 && now > execDeadline) {
                    stoppedBy = stop(qemu, qmp);
                    break;
                }
            }
            long ended = System.nanoTime();
            for (Thread reader : List.of(outReader, errReader, statusReader)) {
                reader.join(DRAIN_GRACE.toMillis());
            }
            threads.get(1).join(DRAIN_GRACE.toMillis()); // QEMU's stderr: complete once QEMU has exited
            LOG.debug("QEMU pid {}: booted in {} ms, task ran {} ms{}, {}", qemu.pid(), (readyAt - started) / 1_000_000,
                    (ended - readyAt) / 1_000_000, finished ? "" : " (timed out)", qemu.isAlive() ? "still running" : "exit " + qemu.exitValue());
            return new Run(Optional.empty(), !finished, stoppedBy, List.copyOf(status), out.toOutput(), err.toOutput(), console, qemuLog, qemu.pid(),
                    qemu.isAlive() ? Optional.empty() : Optional.of(qemu.exitValue()), Duration.ofNanos(readyAt - started),
                    Duration.ofNanos(ended - readyAt));
        } catch (InterruptedException | IOException | RuntimeException e) {
            if (qemu != null) {
                stop(qemu, null);
            }
            throw e;
        } finally {
            if (qemu != null && qemu.isAlive()) {
                stop(qemu, null);
            }
            for (SocketChannel client : clients) {
                closeQuietly(client);
            }
            for (ServerSocketChannel server : servers) {
                closeQuietly(server);
            }
            for (Path path : List.of(channels.qmp(), channels.task(), channels.stdout(), channels.stderr(), channels.status())) {
                Files.deleteIfExists(path);
            }
            for (Thread thread : threads) {
                thread.interrupt();
            }
        }
    }

    /**
     * Stops a VM: QMP {@code quit} when the monitor is connected, then, if QEMU is still alive after a
     * short grace, SIGKILL for QEMU and every process it started.
     */
    static String stop(Process qemu, SocketChannel qmp) {
        List<ProcessHandle> tree = qemu.descendants().toList();
        String how = "SIGKILL of QEMU pid " + qemu.pid();
        if (qmp != null && qemu.isAlive()) {
            try {
                writeFully(qmp, "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n".getBytes(StandardCharsets.US_ASCII));
                if (qemu.waitFor(QUIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    how = "QMP quit (QEMU pid " + qemu.pid() + " exited)";
                } else {
                    how = "QMP quit unanswered, then SIGKILL of QEMU pid " + qemu.pid();
                }
            } catch (IOException e) {
                how = "QMP unreachable, SIGKILL of QEMU pid " + qemu.pid();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ProcessHandle child : tree) {
            child.destroyForcibly();
        }
        qemu.destroyForcibly();
        try {
            qemu.waitFor(QUIT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.debug("stopped QEMU: {}{}", how, tree.isEmpty() ? "" : " and its " + tree.size() + " child processes");
        return how;
    }

    private static Run bootFailure(String reason, ConsoleTail console, ConsoleTail qemuLog, Process qemu, long started, List<Thread> threads)
            throws InterruptedException {
        if (qemu.isAlive()) {
            stop(qemu, null);
        }
        threads.get(0).join(DRAIN_GRACE.toMillis()); // the console and QEMU's stderr: their last lines explain the failure
        threads.get(1).join(DRAIN_GRACE.toMillis());
        return new Run(Optional.of(reason), false, "", List.of(), StreamOutput.EMPTY, StreamOutput.EMPTY, console, qemuLog, qemu.pid(),
                qemu.isAlive() ? Optional.empty() : Optional.of(qemu.exitValue()), Duration.ofNanos(System.nanoTime() - started), Duration.ZERO);
    }

    static void pump(InputStream in, ConsoleTail console) {
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                console.accept(buffer, 0, n);
            }
        } catch (IOException e) {
            // QEMU closed its output: the console is complete
        }
    }

    private static void capture(SocketChannel channel, BoundedCapture capture, StdStream stream, OutputListener listener) {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        try {
            while (channel.read(buffer.clear()) > 0) {
                int within = capture.accept(buffer.array(), 0, buffer.position());
                if (within > 0) {
                    listener.onOutput(stream, buffer.array(), 0, within);
                }
            }
        } catch (IOException e) {
            // the VM ended: the stream is complete
        }
    }

    private static void statusLines(SocketChannel channel, int limit, List<String> lines, CountDownLatch ready) {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        StringBuilder line = new StringBuilder();
        long seen = 0;
        try {
            while (channel.read(buffer.clear()) > 0) {
                for (int i = 0; i < buffer.position(); i++) {
                    if (++seen > limit) {
                        continue; // keep draining, keep nothing more: a flooding guest cannot grow host memory
                    }
                    char c = (char) (buffer.get(i) & 0xFF);
                    if (c == '\n') {
                        String text = line.toString();
                        lines.add(text);
                        if (text.equals("ready")) {
                            ready.countDown();
                        }
                        line.setLength(0);
                    } else {
                        line.append(c);
                    }
                }
            }
        } catch (IOException e) {
            // the VM ended
        }
    }

    static void discard(SocketChannel channel) {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        try {
            while (channel.read(buffer.clear()) > 0) {
                // drained and dropped
            }
        } catch (IOException e) {
            // closed
        }
    }

    private static void writeFully(SocketChannel channel, byte[] data) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    static Thread daemon(String name, Runnable body) {
        return Thread.ofPlatform().daemon().name(name).start(body);
    }

    /**
     * Accepts QEMU's connection on each of {@code servers} (non-blocking), adding each to {@code clients} as it comes so
     * that a failure closes it too. The channels in the servers' order, or {@code null} when QEMU exited or the deadline
     * passed before all were connected (the caller says which).
     */
    static SocketChannel[] acceptChannels(List<ServerSocketChannel> servers, Process qemu, long deadline, List<SocketChannel> clients)
            throws IOException, InterruptedException {
        SocketChannel[] accepted = new SocketChannel[servers.size()];
        int pending = servers.size();
        while (pending > 0) {
            for (int i = 0; i < servers.size(); i++) {
                if (accepted[i] == null && (accepted[i] = servers.get(i).accept()) != null) {
                    accepted[i].configureBlocking(true);
                    clients.add(accepted[i]);
                    pending--;
                }
            }
            if (pending > 0) {
                if (!qemu.isAlive() || System.nanoTime() > deadline) {
                    return null;
                }
                Thread.sleep(2);
            }
        }
        return accepted;
    }

    static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing during cleanup
        }
    }
}
