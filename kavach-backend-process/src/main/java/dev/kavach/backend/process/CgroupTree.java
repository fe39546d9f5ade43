package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The changes Kavach makes to a cgroup tree while it prepares its groups: making a group and writing a control
 * file. The kernel enforces rules on both (a group with processes cannot give controllers to children); tests
 * put a model of those rules in its place.
 */
interface CgroupTree {
    /** The kernel's cgroup file systems. */
    CgroupTree KERNEL = new CgroupTree() {
        @Override
        public void makeGroup(Path dir) throws IOException {
            Files.createDirectories(dir);
        }

        @Override
        public void write(Path file, String value) throws IOException {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        }
    };

    /** Makes the group {@code dir}; nothing happens when it exists. */
    void makeGroup(Path dir) throws IOException;

    /** Writes {@code value} to an existing control file, as one write. */
    void write(Path file, String value) throws IOException;
}
