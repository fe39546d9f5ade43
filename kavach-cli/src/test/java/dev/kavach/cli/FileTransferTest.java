package dev.kavach.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import dev.kavach.api.CollectedFile;
import dev.kavach.api.KavachException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kavach.cli.Cli.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kavach run --put} and {@code --get} (issue 12 §6): files in and out of one command, never written outside the --get directory. */
class FileTransferTest {
    @TempDir
    Path dir;

    @Test
    void putsFilesRunsAndGetsTheOutputKeepingPathsAndModes() throws IOException {
        Path script = Files.writeString(dir.resolve("job.sh"), "#!/bin/sh\nmkdir -p out/deep\ntr a-z A-Z < in/data.txt > out/deep/up.txt\n"
                + "echo log > out/run.log\nexit 3\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(dir.resolve("data.txt"), "hello");
        Cli.Result result = new Cli(dir).run("run", "--backend", "process", "--put", "job.sh", "--put", "data.txt:in/data.txt",
                "--get", "out/**.txt:results", "--get", "**.log", "--", "./job.sh");
        assertEquals(3, result.exitCode(), result::toString);
        assertEquals("HELLO", Files.readString(dir.resolve("results/out/deep/up.txt")), "collected also after a failure, below DIR");
        assertEquals("log\n", Files.readString(dir.resolve("out/run.log")), "DIR defaults to the current directory");
        assertFalse(Files.exists(dir.resolve("results/out/run.log")), "each glob's files go to its own DIR");
    }

    @Test
    void jsonListsTheCollectedFilesAndMatchesTheSchema() throws Exception {
        Cli.Result result = new Cli(dir).run("run", "--backend", "process", "--json", "--get", "*.bin",
                "--shell", "printf 'abc' > a.bin; chmod 600 a.bin");
        assertEquals(0, result.exitCode(), result::toString);
        Schema schema = SchemaRegistry.withDialect(Dialects.getDraft202012()).getSchema(Files.readString(ResultSchemaTest.SCHEMA), InputFormat.JSON);
        assertEquals(List.of(), schema.validate(result.stdout(), InputFormat.JSON), result::toString);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest("abc".getBytes()));
        assertContains(result.stdout(), "\"files\":[{\"path\":\"a.bin\",\"size\":3,\"sha256\":\"" + sha + "\",\"mode\":\"0600\"}]");
        assertFalse(result.stdout().contains("YWJj"), "the bytes themselves are not in the JSON");
        assertEquals("abc", Files.readString(dir.resolve("a.bin")));
    }

    @Test
    void aBackendWithoutFilesIsNamed() throws IOException {
        Files.writeString(dir.resolve("f"), "x");
        Cli.Result result = new Cli(dir).run("run", "--backend", "noop", "--put", "f", "--", "/bin/true");
        assertEquals(125, result.exitCode(), result::toString);
        assertContains(result.stderr(), "backend 'noop' does not support files in and out");
    }

    @Test
    void badValuesAreNamed() {
        Cli.Result missing = new Cli(dir).run("run", "--backend", "process", "--put", "nosuch", "--", "/bin/true");
        assertEquals(125, missing.exitCode(), missing::toString);
        assertContains(missing.stderr(), "Invalid value for option '--put': 'nosuch' is no such file");
        Cli.Result up = new Cli(dir).run("run", "--backend", "process", "--get", "../*", "--", "/bin/true");
        assertEquals(125, up.exitCode(), up::toString);
        assertContains(up.stderr(), "contains '..'");
    }

    @Test
    void aCollectedFileIsNeverWrittenThroughALinkOutsideDir() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path victim = Files.writeString(outside.resolve("victim"), "keep");
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.createSymbolicLink(target.resolve("sub"), outside);
        Files.createSymbolicLink(target.resolve("victim"), victim);
        List<FileTransfers.Get> gets = List.of(FileTransfers.get("**", dir.resolve("target")));
        KavachException through = assertThrows(KavachException.class,
                () -> FileTransfers.write(List.of(new CollectedFile("sub/victim", "evil".getBytes(), 0644)), gets));
        assertContains(through.getMessage(), "symbolic link");
        FileTransfers.write(List.of(new CollectedFile("victim", "mine".getBytes(), 0644)), gets);
        assertEquals("keep", Files.readString(victim), "the file the link pointed at is untouched");
        assertFalse(Files.isSymbolicLink(target.resolve("victim")), "the link itself was replaced");
        assertEquals("mine", Files.readString(target.resolve("victim")));
        Files.writeString(target.resolve("plain"), "old");
        FileTransfers.write(List.of(new CollectedFile("plain", "new".getBytes(), 0755)), gets);
        assertEquals("new", Files.readString(target.resolve("plain")), "a regular file is overwritten, as cp does");
        assertTrue(Files.isExecutable(target.resolve("plain")));
        try (var left = Files.list(target)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".")).toList(), "no temporary file is left");
        }
        assertTrue(Files.isSymbolicLink(target.resolve("sub")) && Files.exists(outside.resolve("victim"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aLocalNameWithAColonNeedsAPath() throws IOException {
        Files.writeString(dir.resolve("a:b"), "x");
        assertEquals("dest", FileTransfers.put("a:b:dest", dir).path());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileTransfers.put("a:b", dir));
        assertContains(e.getMessage(), "needs :PATH");
    }
}
