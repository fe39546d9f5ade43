package dev.kavach.api.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One line of {@code /proc/<pid>/stat}: the state, parent and process group of a process. Read here
 * because {@link ProcessHandle} tells neither the process group nor whether a process is a zombie (dead,
 * only not yet reaped, which {@code isAlive()} still calls alive).
 */
record ProcStat(long pid, char state, long ppid, long pgrp) {
    private static final Path PROC = Path.of("/proc");

    static Optional<ProcStat> read(long pid) {
        try {
            return Optional.of(parse(pid, Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // gone, or not readable: either way not ours to signal
        }
    }

    /** The process runs or can run again: neither gone nor a zombie. */
    static boolean running(long pid) {
        return read(pid).map(stat -> stat.state() != 'Z' && stat.state() != 'X' && stat.state() != 'x').orElse(false);
    }

    /** Every process whose process group is {@code pgrp}, zombies left out. */
    static List<Long> groupMembers(long pgrp) {
        List<Long> members = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, entry -> isPid(entry.getFileName().toString()))) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                read(pid).filter(stat -> stat.pgrp() == pgrp && stat.state() != 'Z' && stat.state() != 'X').ifPresent(stat -> members.add(pid));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list /proc", e);
        }
        return members;
    }

    static ProcStat parse(long pid, String line) {
        // The command name (field 2) is in parentheses and may hold spaces and ')': fields follow the last ')'.
        String[] fields = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        return new ProcStat(pid, fields[0].charAt(0), Long.parseLong(fields[1]), Long.parseLong(fields[2]));
    }

    private static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
