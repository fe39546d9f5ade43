package dev.kavach.api.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OwnedDirectoryTest {
    @Test
    void aSweepRemovesOnlyDirectoriesWhoseOwnerIsGone(@TempDir Path parent) throws Exception {
        try (OwnedDirectory mine = OwnedDirectory.create(parent, "kavach-test-")) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(mine.path())));
            Files.writeString(mine.path().resolve("file"), "x");
            // A dead owner's: its lock file is there, but nobody holds the lock any more.
            Path dead = Files.createDirectory(parent.resolve("kavach-test-999999999-1"));
            Files.createFile(dead.resolve(OwnedDirectory.OWNER_LOCK));
            Files.writeString(dead.resolve("left-behind"), "x");
            // Not an owned directory at all (no lock file), or another program's name: never touched.
            Path foreign = Files.createDirectory(parent.resolve("kavach-test-999999999-2"));
            Path other = Files.createDirectory(parent.resolve("other-999999999-3"));
            Files.createFile(other.resolve(OwnedDirectory.OWNER_LOCK));

            assertEquals(List.of(dead), OwnedDirectory.sweep(parent, "kavach-test-"));

            assertFalse(Files.exists(dead));
            assertTrue(Files.exists(mine.path().resolve("file")), "a live owner's directory stays");
            assertTrue(Files.exists(foreign));
            assertTrue(Files.exists(other));
            mine.close();
            assertFalse(Files.exists(mine.path()), "close deletes the directory");
        }
    }

    @Test
    void deleteTreeEmptiesWhatACommandLockedAndNeverFollowsALink(@TempDir Path parent) throws Exception {
        Path outside = Files.writeString(Files.createDirectory(parent.resolve("outside")).resolve("keep"), "x");
        Path root = Files.createDirectory(parent.resolve("root"));
        Path locked = Files.createDirectories(root.resolve("a/b"));
        Files.writeString(locked.resolve("f"), "x");
        Files.createSymbolicLink(root.resolve("link"), outside.getParent());
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(root.resolve("a"), PosixFilePermissions.fromString("r-x------"));

        assertTrue(OwnedDirectory.deleteTree(root));

        assertFalse(Files.exists(root));
        assertTrue(Files.exists(outside), "what a link pointed at is kept");
    }
}
