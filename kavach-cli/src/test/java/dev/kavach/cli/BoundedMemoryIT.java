package dev.kavach.cli;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kavach's own memory stays bounded whatever the command does: the real launcher under {@code -Xmx64m} turns
 * 2 x 16 MiB of NUL output into a 200 MB JSON result and feeds a 3 GB file or an endless stdin to a command.
 * Before output and stdin were streamed, each of these ended in an OutOfMemoryError.
 */
class BoundedMemoryIT {
    private static final String SMALL_HEAP = "-Xmx64m";
    private static final long SIXTEEN_MIB = 16L * 1024 * 1024;
    private static Path launcher;

    @TempDir
    Path dir;

    @BeforeAll
    static void locate() {
        launcher = RepoLauncher.require();
    }

    private record Run(int exitCode, Path stdout, String stderr) {
        String stdoutText() throws IOException {
            return Files.readString(stdout, StandardCharsets.UTF_8);
        }
    }

    private Run kavach(File stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve("stdout-" + System.nanoTime());
        Path err = dir.resolve("stderr-" + System.nanoTime());
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.from(stdin));
        Map<String, String> env = new HashMap<>(Map.of("KAVACH_JAVA_OPTS", SMALL_HEAP, "KAVACH_CDS", "off"));
        builder.environment().putAll(env);
        Process process = builder.start();
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), "kavach finished");
        return new Run(process.exitValue(), out, Files.readString(err));
    }

    @Test
    void jsonOfTwoTimesSixteenMibOfNulFitsASixtyFourMibHeap() throws Exception {
        Run run = kavach(null, "run", "--backend", "process", "--json",
                "--shell", "head -c " + SIXTEEN_MIB + " /dev/zero; head -c " + SIXTEEN_MIB + " /dev/zero >&2");
        assertEquals(0, run.exitCode(), run.stderr());
        assertFalse(run.stderr().contains("OutOfMemoryError"), run.stderr());
        assertTrue(Files.size(run.stdout()) > 2 * 6 * SIXTEEN_MIB, "every NUL is escaped as \\u0000");
        // Read back with a streaming parser: the whole object must be valid JSON, each stream 16 Mi NULs.
        Map<String, Long> nulCounts = new HashMap<>();
        Map<String, Long> byteCounts = new HashMap<>();
        try (JsonParser json = new JsonFactory().createParser(run.stdout().toFile())) {
            assertEquals(JsonToken.START_OBJECT, json.nextToken());
            String stream = null;
            for (JsonToken token; (token = json.nextToken()) != null; ) {
                if (token == JsonToken.FIELD_NAME && json.getParsingContext().getParent().inRoot()) {
                    stream = json.currentName();
                } else if (token == JsonToken.VALUE_STRING && "text".equals(json.currentName())) {
                    char[] text = json.getTextCharacters();
                    int offset = json.getTextOffset();
                    long nuls = 0;
                    for (int i = 0; i < json.getTextLength(); i++) {
                        nuls += text[offset + i] == 0 ? 1 : 0;
                    }
                    nulCounts.put(stream, nuls);
                } else if (token == JsonToken.VALUE_NUMBER_INT && "bytes".equals(json.currentName())) {
                    byteCounts.put(stream, json.getLongValue());
                } else if (token == JsonToken.VALUE_STRING && "outcome".equals(json.currentName())) {
                    assertEquals("COMPLETED", json.getText());
                }
            }
        }
        assertEquals(Map.of("stdout", SIXTEEN_MIB, "stderr", SIXTEEN_MIB), nulCounts);
        assertEquals(Map.of("stdout", SIXTEEN_MIB, "stderr", SIXTEEN_MIB), byteCounts);
    }

    @Test
    void aThreeGigabyteStdinFileStreamsThroughASixtyFourMibHeap() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path big = dir.resolve("three-gigabytes");
        long size = 3L * 1000 * 1000 * 1000;
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(size); // sparse: no disk used
        }
        Files.setPosixFilePermissions(big, PosixFilePermissions.fromString("rw-r--r--"));
        Run run = kavach(null, "run", "--backend", "process", "--timeout", "240s", "--stdin", big.toString(), "--", "/usr/bin/wc", "-c");
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals(String.valueOf(size), run.stdoutText().strip());
    }

    @Test
    void anEndlessStdinEndsInATimeoutNotAnOutOfMemoryError() throws Exception {
        Run file = kavach(null, "run", "--backend", "process", "--timeout", "3s", "--stdin", "/dev/zero", "--shell", "cat >/dev/null");
        assertEquals(124, file.exitCode(), file.stderr());
        assertContains(file.stderr(), "timed out after 3s");
        assertFalse(file.stderr().contains("OutOfMemoryError"), file.stderr());

        Run dash = kavach(new File("/dev/zero"), "run", "--backend", "process", "--timeout", "3s", "--stdin", "-", "--shell", "cat >/dev/null");
        assertEquals(124, dash.exitCode(), dash.stderr());
        assertContains(dash.stderr(), "timed out after 3s");
    }
}
