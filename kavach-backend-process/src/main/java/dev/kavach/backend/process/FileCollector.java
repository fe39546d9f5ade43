package dev.kavach.backend.process;

import dev.kavach.api.CollectedFile;
import dev.kavach.api.SandboxException;
import dev.kavach.api.TransferLimitExceededException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * Collects the regular files of a working directory that match an exec's output globs, after every process
 * of the exec is gone. The walk never follows a symbolic link (a linked directory is not entered, a linked
 * file not read); devices, FIFOs and sockets are skipped, never opened; a file with several hard links is
 * refused as {@link ConfinedFiles} refuses it. The bytes of all files together are bounded by the transfer
 * limit, and so is their number ({@link #MAX_FILES}), so that a command cannot make the host hold more than
 * it allows.
 */
final class FileCollector {
    /** The largest array the JVM makes. */
    private static final long ARRAY_MAX = Integer.MAX_VALUE - 8;
    /** The most files one exec's globs may collect: each costs memory beyond its bytes. */
    static final int MAX_FILES = 10_000;

    private FileCollector() {
    }

    static List<CollectedFile> collect(Path root, List<String> globs, long limit) {
        if (globs.isEmpty()) {
            return List.of();
        }
        List<PathMatcher> matchers = globs.stream().map(glob -> FileSystems.getDefault().getPathMatcher("glob:" + glob)).toList();
        String described = globs.size() == 1 ? "the files collected by '" + globs.get(0) + "'" : "the files collected by " + globs;
        List<CollectedFile> files = new ArrayList<>();
        long[] total = new long[1];
        try {
            Files.walkFileTree(root, EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes basic) throws IOException {
                    Path relative = root.relativize(file);
                    if (!basic.isRegularFile() || matchers.stream().noneMatch(m -> m.matches(relative))) {
                        return FileVisitResult.CONTINUE;
                    }
                    String name = relative.toString();
                    PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    ConfinedFiles.requireSingleRegularFile(name, file, attributes);
                    if (files.size() == MAX_FILES) {
                        throw new SandboxException("more than " + MAX_FILES + " files match the output globs " + globs
                                + "; nothing was collected", "collect fewer files, e.g. an archive the command makes of them");
                    }
                    long room = limit - total[0];
                    if (attributes.size() > room) {
                        throw new TransferLimitExceededException(described, total[0] + attributes.size(), limit);
                    }
                    byte[] content;
                    try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                        // One byte past the room shows a file that grew; a collected file is one array, so at most ARRAY_MAX.
                        content = in.readNBytes((int) (room >= ARRAY_MAX ? ARRAY_MAX : room + 1));
                        if (content.length == ARRAY_MAX && in.read() != -1) {
                            throw new SandboxException("file '" + name + "' is larger than " + ARRAY_MAX + " bytes, the most one collected "
                                    + "file can hold; nothing was collected", "collect it in parts, e.g. split by the command");
                        }
                    }
                    if (content.length > room) {
                        throw new TransferLimitExceededException(described, total[0] + content.length, limit);
                    }
                    total[0] += content.length;
                    files.add(new CollectedFile(name, content, ConfinedFiles.modeOf(file)));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // unreadable (the command's chmod 000): nothing to collect there
                }
            });
        } catch (IOException e) {
            throw new SandboxException("cannot collect the output files from " + root + ": " + e.getMessage(), "check the disk", e);
        }
        return List.copyOf(files);
    }
}
