package dev.kavach.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cgroup v2 tree in a plain directory, changed under the kernel's rules that Kavach's delegation depends on:
 * a new group gets the interface files and may use what its parent's {@code cgroup.subtree_control} enables;
 * (and follows it as it changes); writing a pid to {@code cgroup.procs} moves that process out of every other
 * group; a group may enable a
 * controller only if its {@code cgroup.controllers} has it and, unless it is the root, no process lives in it
 * (EBUSY). Every change is logged, in order, relative to the mount.
 */
final class FakeCgroupKernel implements CgroupTree {
    private final Path mount;
    final List<String> log = new ArrayList<>();

    FakeCgroupKernel(Path mount) {
        this.mount = mount;
    }

    /** Makes a group as the kernel shows it, with {@code controllers} offered and {@code pids} as members. */
    Path group(String path, String controllers, long... pids) throws IOException {
        Path dir = path.equals("/") ? mount : mount.resolve(path.substring(1));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), controllers + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), "");
        Files.writeString(dir.resolve("cgroup.procs"), Arrays.stream(pids).mapToObj(pid -> pid + "\n").collect(Collectors.joining()));
        Files.writeString(dir.resolve("cgroup.threads"), "");
        return dir;
    }

    /** The members of a group. */
    List<String> procs(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("cgroup.procs")).stream().filter(line -> !line.isBlank()).toList();
    }

    Set<String> subtreeControl(Path dir) throws IOException {
        return words(dir.resolve("cgroup.subtree_control"));
    }

    @Override
    public void makeGroup(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (!Files.isRegularFile(parent.resolve("cgroup.controllers"))) {
            throw new IOException(parent + " is not a cgroup");
        }
        Files.createDirectory(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), String.join(" ", subtreeControl(parent)) + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), "");
        Files.writeString(dir.resolve("cgroup.procs"), "");
        Files.writeString(dir.resolve("cgroup.threads"), "");
        log.add("mkdir " + relative(dir));
    }

    @Override
    public void write(Path file, String value) throws IOException {
        log.add(value + " > " + relative(file));
        Path dir = file.getParent();
        switch (file.getFileName().toString()) {
            case "cgroup.procs" -> {
                try (Stream<Path> all = Files.walk(mount)) {
                    for (Path procs : all.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                        List<String> kept = procs(procs.getParent()).stream().filter(pid -> !pid.equals(value)).toList();
                        Files.writeString(procs, kept.stream().map(pid -> pid + "\n").collect(Collectors.joining()));
                    }
                }
                Files.writeString(file, String.join("", procs(dir).stream().map(pid -> pid + "\n").toList()) + value + "\n");
            }
            case "cgroup.subtree_control" -> {
                String controller = value.substring(1);
                if (!words(dir.resolve("cgroup.controllers")).contains(controller)) {
                    throw new IOException(file + ": No such file or directory");
                }
                if (!dir.equals(mount) && !procs(dir).isEmpty()) {
                    throw new IOException(file + ": Device or resource busy");
                }
                Set<String> enabled = subtreeControl(dir);
                enabled.add(controller);
                Files.writeString(file, String.join(" ", enabled) + "\n");
                // A child's cgroup.controllers is what its parent enables, as it changes.
                try (Stream<Path> children = Files.list(dir)) {
                    for (Path child : children.filter(Files::isDirectory).toList()) {
                        Set<String> offered = words(child.resolve("cgroup.controllers"));
                        offered.add(controller);
                        Files.writeString(child.resolve("cgroup.controllers"), String.join(" ", offered) + "\n");
                    }
                }
            }
            default -> Files.writeString(file, value);
        }
    }

    private String relative(Path path) {
        return "/" + mount.relativize(path);
    }

    private static Set<String> words(Path file) throws IOException {
        return Arrays.stream(Files.readString(file).split("\\s+")).filter(word -> !word.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }
}
