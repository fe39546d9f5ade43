package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.CpioReader;
import dev.kavach.backend.sev.guest.CpioWriter;
import dev.kavach.backend.sev.qemu.QemuArgs;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The session machinery's parts that need no guest: output boundaries, the cpio reader, pool settings, the files port. */
class SessionPartsTest {
    private static final byte[] BOUNDARY = "kavach-end-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @Test
    void anExecsDeadlineGrowsWithItsStdinSoALargeUploadIsNotTakenForAStoppedGuest() {
        java.time.Duration timeout = java.time.Duration.ofSeconds(2);
        java.time.Duration grace = java.time.Duration.ofSeconds(15);
        assertThat(VmSession.execDeadline(timeout, grace, 0)).isEqualTo(java.time.Duration.ofSeconds(17));
        assertThat(VmSession.execDeadline(timeout, grace, 512L * 1024 * 1024)).isEqualTo(java.time.Duration.ofSeconds(17 + 512));
        assertThat(VmSession.execDeadline(timeout, grace, 1024 * 1024 - 1)).isEqualTo(java.time.Duration.ofSeconds(17));
    }

    @Test
    void anExecsOutputEndsAtItsBoundaryEvenWhenTheBoundaryArrivesInPieces() {
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        OutputBoundary sink = new OutputBoundary(BOUNDARY, 0, listener(streamed), StdStream.STDOUT);
        byte[] all = ("hello kavach-end-0123 world" + new String(BOUNDARY, StandardCharsets.US_ASCII) + "next exec's").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < all.length; i += 3) {
            sink.accept(all, i, Math.min(3, all.length - i));
        }
        assertThat(sink.ended()).isTrue();
        assertThat(new String(sink.output().bytes(), StandardCharsets.US_ASCII)).as("a partial boundary in the output is output")
                .isEqualTo("hello kavach-end-0123 world");
        assertThat(streamed.toString(StandardCharsets.US_ASCII)).as("the listener got exactly the same bytes").isEqualTo("hello kavach-end-0123 world");
    }

    @Test
    void outputPastTheLimitIsCountedAsDroppedAndTheBoundaryStillEndsIt() {
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        OutputBoundary sink = new OutputBoundary(BOUNDARY, 10, listener(streamed), StdStream.STDERR);
        byte[] data = new byte[1000];
        sink.accept(data, 0, data.length);
        assertThat(sink.ended()).isFalse();
        sink.accept(BOUNDARY, 0, BOUNDARY.length);
        assertThat(sink.ended()).isTrue();
        assertThat(sink.output().bytes()).hasSize(10);
        assertThat(sink.output().droppedBytes()).isEqualTo(990);
        assertThat(streamed.size()).isEqualTo(10);
    }

    @Test
    void theCpioReaderReadsExactlyOneArchiveAndNotWhatFollowsIt() throws IOException {
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        try (CpioWriter cpio = new CpioWriter(archive)) {
            cpio.file("a.txt", 0640, "hello".getBytes(StandardCharsets.UTF_8));
        }
        archive.writeBytes("AFTER".getBytes(StandardCharsets.US_ASCII));
        ByteArrayInputStream in = new ByteArrayInputStream(archive.toByteArray());
        CpioReader reader = new CpioReader(in);
        CpioReader.Entry entry = reader.next().orElseThrow();
        assertThat(entry.name()).isEqualTo("a.txt");
        assertThat(entry.mode() & 07777).isEqualTo(0640);
        assertThat(entry.isRegularFile()).isTrue();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        reader.data(data);
        assertThat(data.toString(StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(reader.next()).as("the trailer").isEmpty();
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("AFTER");
    }

    @Test
    void aBrokenArchiveIsAnErrorNamingWhatIsWrong() {
        assertThatThrownBy(() -> new CpioReader(new ByteArrayInputStream("0707xx".repeat(30).getBytes(StandardCharsets.US_ASCII))).next())
                .isInstanceOf(IOException.class).hasMessageContaining("not a newc cpio entry");
        assertThatThrownBy(() -> new CpioReader(new ByteArrayInputStream("070701".getBytes(StandardCharsets.US_ASCII))).next())
                .isInstanceOf(EOFException.class);
    }

    @Test
    void poolSettingsAreReadAndCheckedWithTheBackendsOtherKeys() {
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", Map.of("pool.size", "3", "pool.idle-limit", "90s"));
        assertThat(VmPoolSettings.from(settings)).isEqualTo(new VmPoolSettings(3, Duration.ofSeconds(90)));
        assertThat(VmPoolSettings.from(BackendSettings.of("kavach.backends.vm", Map.of()))).isEqualTo(new VmPoolSettings(0, Duration.ofMinutes(10)));
        VmSettings.from(settings, false); // the keys are known to the backend's settings
        assertThatThrownBy(() -> VmPoolSettings.from(BackendSettings.of("kavach.backends.vm", Map.of("pool.size", "-1"))))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("pool.size");
        assertThatThrownBy(() -> VmSettings.from(BackendSettings.of("kavach.backends.vm", Map.of("pool.sise", "1")), false))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("pool.sise");
    }

    @Test
    void theFilesPortSocketPathIsEscapedLikeEveryOtherChannel() {
        QemuArgs args = SessionGuests.withFilesPort(new QemuArgs(List.of("qemu")), Path.of("/tmp/a,b=c/files.sock"), "kavach.backends.vm.");
        assertThat(args.argv()).containsSubsequence("-chardev", "socket,id=files,path=/tmp/a,,b=c/files.sock",
                "-device", "virtserialport,bus=vser0.0,chardev=files,name=kavach.files");
    }

    private static OutputListener listener(ByteArrayOutputStream into) {
        return (stream, data, offset, length) -> into.write(data, offset, length);
    }
}
