package dev.kavach.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What this JVM holds on the host that an exec could leak: child processes, open file descriptors,
 * entries in its temporary directory, and Kavach's per-exec cgroups.
 */
record HostResources(List<String> children, int fds, Set<String> tempEntries, Set<String> cgroups) {
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    /** @param cgroupParent the backend's cgroup parent ({@code kavach.backends.process.cgroup-parent}) whose groups count */
    static HostResources snapshot(String cgroupParent) throws IOException {
        List<String> children = ProcessHandle.current().children()
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
        int fds;
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            fds = (int) list.count() - 1; // the listing's own descriptor
        }
        Set<String> temp = new TreeSet<>();
        try (Stream<Path> list = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            list.forEach(p -> temp.add(p.getFileName().toString()));
        }
        return new HostResources(children, fds, temp, cgroupsBelow(cgroupParent));
    }

    /** Directories below the parent group in each hierarchy (v1 controllers and the v2 tree). */
    private static Set<String> cgroupsBelow(String cgroupParent) throws IOException {
        Set<String> found = new TreeSet<>();
        for (Path parent : parents(cgroupParent)) {
            if (Files.isDirectory(parent)) {
                try (DirectoryStream<Path> groups = Files.newDirectoryStream(parent, Files::isDirectory)) {
                    groups.forEach(g -> found.add(g.toString()));
                }
            }
        }
        return found;
    }

    /** Which of this JVM's own threads are still members of {@code groups}: what keeps them from being removed. */
    private static String membersOf(Set<String> groups) {
        Set<String> threads = new TreeSet<>();
        int others = 0;
        for (String group : groups) {
            for (String tid : lines(Path.of(group, "tasks"))) {
                Path comm = Path.of("/proc/self/task", tid, "comm");
                if (Files.exists(comm)) {
                    threads.add(String.join("", lines(comm)));
                } else {
                    others++;
                }
            }
        }
        if (threads.isEmpty() && others == 0) {
            return "";
        }
        return "; members: " + (threads.isEmpty() ? "" : "this JVM's threads " + threads) + (others > 0 ? " and " + others + " other task(s)" : "");
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The parent group {@code name} in every cgroup hierarchy mounted here (whether it exists or not). */
    static List<Path> parents(String name) throws IOException {
        List<Path> parents = new ArrayList<>(List.of(CGROUP_ROOT.resolve(name)));
        if (Files.isDirectory(CGROUP_ROOT)) {
            try (DirectoryStream<Path> hierarchies = Files.newDirectoryStream(CGROUP_ROOT, Files::isDirectory)) {
                for (Path hierarchy : hierarchies) {
                    parents.add(hierarchy.resolve(name));
                }
            }
        }
        return parents;
    }

    /** What {@code after} holds that this snapshot did not: empty when nothing leaked. */
    List<String> leakedIn(HostResources after) {
        List<String> leaks = new ArrayList<>();
        if (!after.children.isEmpty()) {
            leaks.add(after.children.size() + " child process(es) still alive: " + after.children);
        }
        if (after.fds > fds) {
            leaks.add((after.fds - fds) + " more open file descriptor(s): " + fds + " before, " + after.fds + " after");
        }
        Set<String> temp = new TreeSet<>(after.tempEntries);
        temp.removeAll(tempEntries);
        if (!temp.isEmpty()) {
            leaks.add("temporary entries left in " + System.getProperty("java.io.tmpdir") + ": " + temp);
        }
        Set<String> groups = new TreeSet<>(after.cgroups);
        groups.removeAll(cgroups);
        if (!groups.isEmpty()) {
            leaks.add(groups.size() + " cgroup(s) left: " + groups.stream().limit(5).toList() + membersOf(groups));
        }
        return leaks;
    }
}
