package dev.kavach.backend.sev.guest;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * The host ends of one VM's channels: unix sockets the host listens on and QEMU connects to at start.
 * Each guest-facing channel is a virtio-serial port of its own, so the task's output can never be
 * mistaken for the agent's result framing.
 *
 * @param qmp    QEMU's machine protocol (used to stop the VM)
 * @param task   host to guest: the task archive (argv, env, workdir, stdin, nonce)
 * @param stdout guest to host: the task's standard output
 * @param stderr guest to host: the task's standard error
 * @param status guest to host: agent status lines (ready, exit code, attestation report)
 */
public record VmChannels(Path qmp, Path task, Path stdout, Path stderr, Path status) {
    /** Names of the virtio-serial ports, as the guest agent looks them up in {@code /sys/class/virtio-ports}. */
    public static final String TASK_PORT = "kavach.task";
    public static final String STDOUT_PORT = "kavach.stdout";
    public static final String STDERR_PORT = "kavach.stderr";
    public static final String STATUS_PORT = "kavach.status";

    public VmChannels {
        requireNonNull(qmp, "qmp is null");
        requireNonNull(task, "task is null");
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        requireNonNull(status, "status is null");
    }

    /** The conventional socket names inside one per-VM directory. */
    public static VmChannels in(Path dir) {
        return new VmChannels(dir.resolve("qmp.sock"), dir.resolve("task.sock"), dir.resolve("stdout.sock"),
                dir.resolve("stderr.sock"), dir.resolve("status.sock"));
    }
}
