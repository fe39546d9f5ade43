package dev.kavach.api.process;

import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgramLookupTest {
    @Test
    void searchesPathInOrderAndAnEmptyEntryIsTheWorkdir(@TempDir Path dir) throws Exception {
        Path first = Files.createDirectories(dir.resolve("first"));
        Path second = Files.createDirectories(dir.resolve("second"));
        Path tool = executable(second.resolve("tool"));
        assertEquals(tool, ProgramLookup.find("tool", first + ":" + second, dir).path());
        Path local = executable(dir.resolve("local"));
        assertEquals(local, ProgramLookup.find("local", first + "::" + second, dir).path(), "an empty PATH entry is the working directory");
        assertEquals(local, ProgramLookup.find("./local", "", dir).path(), "a name with a slash is taken from the working directory");
    }

    @Test
    void aNonExecutableMatchIs126UnlessAnExecutableOneFollows(@TempDir Path dir) throws Exception {
        Path first = Files.createDirectories(dir.resolve("first"));
        Path second = Files.createDirectories(dir.resolve("second"));
        Files.writeString(first.resolve("tool"), "");
        ProgramLookup denied = ProgramLookup.find("tool", first + ":" + second, dir);
        assertEquals(126, denied.status(), "as execvp: permission denied when nothing later on PATH runs");
        ExecResult result = denied.failedToStart().build();
        assertEquals(Outcome.FAILED_TO_START, result.outcome());
        assertEquals(126, result.exitCode());

        Path tool = executable(second.resolve("tool"));
        assertEquals(tool, ProgramLookup.find("tool", first + ":" + second, dir).path());
        assertThrows(IllegalStateException.class, () -> ProgramLookup.find("tool", second.toString(), dir).failedToStart());
    }

    @Test
    void notFoundAnywhereIs127AndNamesThePath(@TempDir Path dir) {
        ProgramLookup missing = ProgramLookup.find("kavach-nothing", "/nonexistent-a:/nonexistent-b", dir);
        assertEquals(127, missing.status());
        assertTrue(missing.message().contains("PATH=/nonexistent-a:/nonexistent-b"), missing.message());
        assertEquals(127, ProgramLookup.find("", "/bin", dir).status());
    }

    private static Path executable(Path path) throws Exception {
        Files.writeString(path, "#!/bin/sh\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }
}
