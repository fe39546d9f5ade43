package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestImageBuilder;

import dev.kavach.attestation.snp.SimulatedPsp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test only: lets the {@code sev} backend's production exec path run under TCG on a host without SEV-SNP.
 * <ul>
 *   <li>A QEMU wrapper (the backend's {@code qemu} setting) takes the production argv, drops only what needs
 *       SNP hardware ({@code sev-snp-guest}, the memfd RAM backend, {@code confidential-guest-support},
 *       {@code -bios}), records the launch, and adds one virtio-serial port, {@code kavach.test-psp}.</li>
 *   <li>A test image replaces only the guest's {@code request_report} (between the {@code kavach:report-request}
 *       markers of {@code guest/attest}) with a request on that port; hashing, statement and REPORT_DATA are
 *       the production script's.</li>
 *   <li>The {@link SimulatedPsp} answers on the port with a report carrying the guest's REPORT_DATA and the
 *       launch's HOST_DATA and POLICY and the launch measurement the test sets (the backend's computed one).</li>
 * </ul>
 * Production never offers that port and its image has no such request; the simulated PSP's chain fails AMD's
 * pinned roots (SnpExecAttestorTest, GuestImageTest).
 */
final class SimulatedSnpHost implements AutoCloseable {
    static final String PSP_PORT = "kavach.test-psp";
    private static final String SIMULATED_REQUEST = """
            # kavach:report-request:begin
            # TEST IMAGE ONLY: the simulated PSP answers on its own virtio-serial port.
            request_report() {
              p=
              for d in /sys/class/virtio-ports/*; do
                [ "$(cat "$d/name" 2>/dev/null)" = kavach.test-psp ] && p=/dev/${d##*/}
              done
              [ -n "$p" ] || fail "test image: no kavach.test-psp port"
              exec 8<>"$p"
              { report_data | base64 | tr -d '\\n'; echo; } >&8
              read -r answer <&8
              printf '%s' "$answer" | base64 -d >"$T/report" || fail "test image: the simulated PSP's answer is not base64"
              : >"$T/certs"
            }
            # kavach:report-request:end
            """;

    final Path dir;
    final Path qemuWrapper;
    final SimulatedPsp psp;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private final AtomicReference<byte[]> measurement = new AtomicReference<>();
    private final List<byte[]> reportData = new java.util.concurrent.CopyOnWriteArrayList<>();

    SimulatedSnpHost(Path testDir, SimulatedPsp psp) throws IOException {
        // QEMU may run as an unprivileged uid of its own: it must reach the wrapper, the boot files and the
        // PSP socket below the test's directory, and the wrapper must record the launch there.
        Files.setPosixFilePermissions(testDir, PosixFilePermissions.fromString("rwx--x--x"));
        this.dir = Files.createDirectories(testDir.resolve("simulated-snp"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        this.psp = psp;
        this.qemuWrapper = dir.resolve("qemu-simulated-snp");
        Files.writeString(qemuWrapper, """
                #!/bin/bash
                # Test only: the sev backend's argv under TCG, without what needs SNP hardware, plus the simulated PSP's port.
                dir='%s'
                args=()
                skip=0
                for a in "$@"; do
                  if [ "$skip" = 1 ]; then skip=0; continue; fi
                  case "$a" in
                    sev-snp-guest,*) printf '%%s\\n' "$a" >"$dir/launch"; unset 'args[-1]'; continue ;;
                    memory-backend-memfd,*) unset 'args[-1]'; continue ;;
                    -bios) skip=1; continue ;;
                    *confidential-guest-support=*) a="${a%%%%,*},vmport=off" ;;
                  esac
                  args+=("$a")
                done
                # A dropped QEMU gets its boot files as /proc/self/fd/N, opened for it: record the files themselves.
                rec=()
                for a in "${args[@]}"; do
                  case "$a" in /proc/self/fd/*) rec+=("$(readlink "$a")") ;; *) rec+=("$a") ;; esac
                done
                printf '%%s\\0' "${rec[@]}" >"$dir/argv"
                exec qemu-system-x86_64 "${args[@]}" -chardev socket,id=psp,path="$dir/psp.sock" \\
                  -device virtserialport,bus=vser0.0,chardev=psp,name=%s
                """.formatted(dir, PSP_PORT));
        Files.setPosixFilePermissions(qemuWrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("psp.sock")));
        Files.setPosixFilePermissions(dir.resolve("psp.sock"), PosixFilePermissions.fromString("rw-rw-rw-"));
        thread = Thread.ofPlatform().daemon().name("simulated-psp").start(this::serve);
    }

    /** The production {@code guest/attest} with only its report request replaced by the simulated one. */
    static byte[] testAttestScript() throws IOException {
        String production = new String(GuestImageBuilder.resource("attest"), StandardCharsets.UTF_8);
        int begin = production.indexOf("# kavach:report-request:begin");
        String endMarker = "# kavach:report-request:end\n";
        int end = production.indexOf(endMarker);
        if (begin < 0 || end < begin) {
            throw new IllegalStateException("guest/attest lost its kavach:report-request markers");
        }
        return (production.substring(0, begin) + SIMULATED_REQUEST + production.substring(end + endMarker.length())).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The MEASUREMENT the next reports carry: the test sets what the backend computes for the launch
     * ({@link VmBackend#expectedMeasurement}, sev-measure's real SNP measurement), as a PSP would measure it;
     * any other value is a different guest, which the backend's pin must refuse.
     */
    void launchMeasurement(byte[] measurement) {
        this.measurement.set(measurement.clone());
    }

    /** REPORT_DATA of every request answered so far. */
    List<byte[]> requests() {
        return List.copyOf(reportData);
    }

    /** Why the last request could not be answered, if one could not. */
    String lastError() {
        return lastError.get();
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.US_ASCII));
                String line;
                while ((line = in.readLine()) != null) {
                    byte[] data = Base64.getDecoder().decode(line.trim());
                    reportData.add(data);
                    byte[] report = answer(data);
                    client.write(java.nio.ByteBuffer.wrap((Base64.getEncoder().encodeToString(report) + "\n").getBytes(StandardCharsets.US_ASCII)));
                }
            } catch (IOException | RuntimeException e) {
                if (server.isOpen()) {
                    lastError.set(e.toString());
                }
            }
        }
    }

    /** Signs what a PSP would put in the report of the launch the wrapper recorded. */
    private byte[] answer(byte[] data) throws IOException {
        String launch = Files.readString(dir.resolve("launch")).trim();
        byte[] hostData = Base64.getDecoder().decode(option(launch, "host-data"));
        long policy = Long.decode(option(launch, "policy"));
        byte[] launched = measurement.get();
        if (launched == null) {
            throw new IllegalStateException("the test set no launch measurement for the simulated PSP to sign");
        }
        return psp.report(data, hostData, launched, policy);
    }

    private static String option(String list, String key) {
        Matcher m = Pattern.compile("(?:^|,)" + Pattern.quote(key) + "=([^,]*)").matcher(list);
        if (!m.find()) {
            throw new IllegalStateException("the recorded sev-snp-guest object has no " + key + ": " + list);
        }
        return m.group(1);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public void close() throws IOException {
        server.close();
        thread.interrupt();
    }
}
