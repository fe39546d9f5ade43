package dev.kavach.backend.process;

import java.nio.file.Path;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A cgroup v2 file system as {@code /proc/self/mountinfo} lists it: where it is mounted and which cgroup its
 * mount shows at that point ({@code /}, unless a subtree was bind-mounted). Found from the mount table rather
 * than assumed at /sys/fs/cgroup: hybrid hosts mount it at /sys/fs/cgroup/unified, containers anywhere.
 *
 * @param point the mount point
 * @param root  the cgroup path shown at the mount point
 */
record Cgroup2Mount(Path point, String root) {
    Cgroup2Mount {
        requireNonNull(point, "point is null");
        requireNonNull(root, "root is null");
    }

    /**
     * The cgroup v2 mount that shows {@code cgroupPath} (the first one, in mount order), or the first cgroup v2
     * mount when {@code cgroupPath} is empty or none shows it.
     */
    static Optional<Cgroup2Mount> find(String mountinfo, Optional<String> cgroupPath) {
        Cgroup2Mount first = null;
        for (String line : mountinfo.split("\n")) {
            // "<id> <parent> <major:minor> <root> <mount point> <options> [optional fields] - <type> <source> <super options>"
            int separator = line.indexOf(" - ");
            if (separator < 0) {
                continue;
            }
            String[] fields = line.substring(0, separator).split(" ");
            String[] after = line.substring(separator + 3).split(" ");
            if (fields.length < 5 || after.length < 1 || !after[0].equals("cgroup2")) {
                continue;
            }
            Cgroup2Mount mount = new Cgroup2Mount(Path.of(unescape(fields[4])), unescape(fields[3]));
            if (cgroupPath.isEmpty() || mount.resolve(cgroupPath.get()).isPresent()) {
                return Optional.of(mount);
            }
            if (first == null) {
                first = mount;
            }
        }
        return Optional.ofNullable(first);
    }

    /** The {@code 0::<path>} entry of a {@code /proc/<pid>/cgroup} text: the process's cgroup v2 group. */
    static Optional<String> ownPath(String procCgroup) {
        for (String line : procCgroup.split("\n")) {
            if (line.startsWith("0::/")) {
                return Optional.of(line.substring(3).strip());
            }
        }
        return Optional.empty();
    }

    /** The directory of cgroup {@code cgroupPath} under this mount, or empty when the mount does not show it. */
    Optional<Path> resolve(String cgroupPath) {
        if (cgroupPath.contains("/../") || cgroupPath.endsWith("/..") || cgroupPath.contains("/./")) {
            return Optional.empty(); // outside this cgroup namespace's view
        }
        String base = root.endsWith("/") ? root : root + "/";
        if (cgroupPath.equals(root)) {
            return Optional.of(point);
        }
        if (!cgroupPath.startsWith(base)) {
            return Optional.empty();
        }
        String relative = cgroupPath.substring(base.length());
        return Optional.of(relative.isEmpty() ? point : point.resolve(relative));
    }

    /** mountinfo writes space, tab, newline and backslash as three octal digits after a backslash. */
    private static String unescape(String field) {
        StringBuilder text = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                text.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                text.append(c);
            }
        }
        return text.toString();
    }
}
