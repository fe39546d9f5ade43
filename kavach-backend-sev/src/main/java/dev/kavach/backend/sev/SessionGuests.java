package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.qemu.QemuLauncher;
import dev.kavach.backend.sev.qemu.QemuOptionValue;
import dev.kavach.backend.sev.qemu.QemuUidLease;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.backend.sev.measure.SnpMeasurement;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * Boots guests that run the session agent, for {@link VmSession}s and the warm {@link VmPool}: the backend's
 * launch with {@code kavach.session=1} on the kernel command line and a fifth port for files. Under SEV-SNP the
 * launch's HOST_DATA binds the session (a fresh id), since no task is known when it boots; each exec is then
 * bound to its own nonce in REPORT_DATA.
 */
final class SessionGuests {
    /** The kernel command line flag that makes {@code /init} start the session agent. */
    static final String SESSION_FLAG = "kavach.session=1";

    private final String id;
    private final VmSettings settings;
    private final Accel accel;
    private final GuestBoot boot;
    private final Optional<VmBackend.Snp> snp;
    private final Path socketRoot;
    private final LaunchMeasurer measurer = new LaunchMeasurer();

    SessionGuests(String id, VmSettings settings, Accel accel, GuestBoot boot, Optional<VmBackend.Snp> snp, Path socketRoot) {
        this.id = requireNonNull(id, "id is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.accel = requireNonNull(accel, "accel is null");
        this.boot = requireNonNull(boot, "boot is null");
        this.snp = requireNonNull(snp, "snp is null");
        this.socketRoot = requireNonNull(socketRoot, "socketRoot is null");
    }

    String backendId() {
        return id;
    }

    Optional<ExecAttestor> attestor() {
        return snp.map(VmBackend.Snp::attestor);
    }

    /** A booted guest with everything that must go when it goes: its directory, its uid lease. */
    static final class Started implements AutoCloseable {
        final SessionGuest guest;
        final Path dir;
        final GuestLaunch launch;
        final byte[] hostData;
        final Optional<SnpMeasurement> expected;
        private final QemuUidLease lease;

        private Started(SessionGuest guest, Path dir, GuestLaunch launch, byte[] hostData, Optional<SnpMeasurement> expected, QemuUidLease lease) {
            this.guest = guest;
            this.dir = dir;
            this.launch = launch;
            this.hostData = hostData;
            this.expected = expected;
            this.lease = lease;
        }

        @Override
        public void close() {
            guest.close();
            release(dir, lease);
        }
    }

    /** The launch a session guest for {@code policy} makes (its vCPUs and memory come from the policy). */
    GuestLaunch launch(SandboxPolicy policy, byte[] hostData) {
        GuestBoot sessionBoot = new GuestBoot(boot.kernel(), boot.initrd(), boot.append() + " " + SESSION_FLAG);
        return GuestLaunch.plan(policy, settings, accel, sessionBoot, snp.map(s -> s.launch(hostData)));
    }

    /** What HOST_DATA binds for a session with id {@code sessionId}: the job digest of a request naming it. */
    byte[] hostData(byte[] sessionId) {
        return snp.map(s -> s.attestor().hostData(ExecRequest.of("kavach-session", HexFormat.of().formatHex(sessionId)))).orElse(new byte[0]);
    }

    /**
     * Boots a guest for {@code policy} and waits for its agent.
     *
     * @throws SandboxException when it cannot be booted
     */
    Started start(SandboxPolicy policy) {
        Path setpriv = QemuLauncher.setpriv().orElseThrow(() -> new SandboxException(
                "the " + id + " backend needs setpriv with --pdeathsig (util-linux 2.33+) so that QEMU dies with this JVM, and found none on PATH",
                "install util-linux (apt-get install util-linux)"));
        byte[] hostData = hostData(SessionGuest.randomBytes(16));
        GuestLaunch launch = launch(policy, hostData);
        Optional<SnpMeasurement> expected = measurer.expected(launch);
        Path dir = null;
        QemuUidLease lease = null;
        try {
            dir = VmWorkDirs.create(socketRoot, id);
            SessionGuest.Sockets sockets = SessionGuest.Sockets.in(dir);
            QemuArgs args = withFilesPort(QemuTranslator.translate(launch, settings, sockets.channels()), sockets.files(), GuestLaunch.prefix(snp.isPresent()));
            if (QemuLauncher.runningAsRoot()) {
                lease = QemuUidLease.acquire(QemuUidLease.LOCK_DIR);
            }
            QemuLauncher launcher = QemuLauncher.of(args, setpriv, lease == null ? OptionalInt.empty() : OptionalInt.of(lease.uid()));
            SessionGuest guest = SessionGuest.boot("the " + id + " session guest", launcher, sockets, settings.bootTimeout(), settings.consoleTailBytes(),
                    "check kavach.backends." + id + ".kernel and the agent image (kavach sev build-image); under TCG a loaded host may need a longer "
                            + "kavach.backends." + id + ".boot-timeout");
            return new Started(guest, dir, launch, hostData, expected, lease);
        } catch (IOException e) {
            release(dir, lease);
            throw new SandboxException("the " + id + " backend could not start a session guest: " + e.getMessage(),
                    "check that " + socketRoot + " is writable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            release(dir, lease);
            throw new SandboxException("interrupted while a session guest booted; it was stopped", "", e);
        } catch (RuntimeException e) {
            release(dir, lease);
            throw e;
        }
    }

    /** Gives back what a VM held once it is gone: its uid lease and its directory (either may be null). */
    static void release(Path dir, QemuUidLease lease) {
        if (lease != null) {
            try {
                lease.close();
            } catch (IOException e) {
                // the lock goes with the file's channel either way
            }
        }
        if (dir != null) {
            VmWorkDirs.deleteTree(dir);
        }
    }

    /** The launch's command line with the agent's files port added to its virtio-serial bus. */
    static QemuArgs withFilesPort(QemuArgs args, Path socket, String prefix) {
        List<String> argv = new java.util.ArrayList<>(args.argv());
        argv.addAll(List.of("-chardev", "socket,id=files,path=" + QemuOptionValue.escape(prefix + "channel socket path", socket.toString())));
        argv.addAll(List.of("-device", "virtserialport,bus=vser0.0,chardev=files,name=" + SessionGuest.FILES_PORT));
        return new QemuArgs(argv);
    }
}
