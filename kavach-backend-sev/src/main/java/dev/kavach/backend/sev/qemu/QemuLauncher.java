package dev.kavach.backend.sev.qemu;

import dev.kavach.api.ConfigurationException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * How QEMU is started: behind util-linux {@code setpriv}, which sets a parent-death SIGKILL (QEMU dies with
 * the JVM, even after {@code kill -9}) and, when Kavach runs as root, first drops to a uid of QEMU's own
 * with no supplementary groups (but those of {@code /dev/kvm} and {@code /dev/sev}), no capabilities and an
 * empty bounding set. QEMU's own {@code -run-with user=} is not used: a uid change clears the parent-death
 * signal (prctl(2)), so a QEMU that drops privileges itself outlives a killed JVM; setpriv drops first and
 * sets the signal after, and QEMU never holds root at all.
 *
 * <p>A dropped QEMU may not be able to walk to the kernel and initrd (a state directory under
 * {@code /root}), so a root shell opens them first and QEMU reads {@code /proc/self/fd/7} and {@code 8},
 * which checks only the files' own modes; the paths travel as arguments, never inside the script.
 *
 * <p>The kernel sends the parent-death signal when the <em>thread</em> that started QEMU ends; the thread
 * that calls {@link QemuRunner#run} waits for the VM, so it lives exactly as long as QEMU should.
 *
 * @param argv the complete command line to start
 * @param uid  the uid QEMU runs as when it was dropped, which must own the socket directory and sockets
 */
public record QemuLauncher(List<String> argv, OptionalInt uid) {
    static final String KERNEL_FD = "/proc/self/fd/7";
    static final String INITRD_FD = "/proc/self/fd/8";
    private static final String OPEN_BOOT_FILES = "exec 7<\"$1\" 8<\"$2\" || exit 125; shift 2; exec \"$@\"";
    private static final List<Path> DEVICES = List.of(Path.of("/dev/kvm"), Path.of("/dev/sev"));

    public QemuLauncher {
        argv = List.copyOf(requireNonNull(argv, "argv is null"));
        requireNonNull(uid, "uid is null");
    }

    /** Whether this JVM runs as root: the owner of {@code /proc/self} is the process's effective uid. */
    public static boolean runningAsRoot() {
        try {
            return (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The command line for {@code qemu}: dropped to {@code uid} when present, else as this user; setpriv at {@code setpriv}. */
    public static QemuLauncher of(QemuArgs qemu, Path setpriv, OptionalInt uid) {
        List<String> argv = new ArrayList<>();
        if (uid.isEmpty()) {
            argv.addAll(List.of(setpriv.toString(), "--pdeathsig=KILL", "--"));
            argv.addAll(qemu.argv());
            return new QemuLauncher(argv, uid);
        }
        String kernel = qemu.value("-kernel").orElseThrow(() -> new IllegalArgumentException("QEMU argv without -kernel"));
        String initrd = qemu.value("-initrd").orElseThrow(() -> new IllegalArgumentException("QEMU argv without -initrd"));
        argv.addAll(List.of("/bin/sh", "-c", OPEN_BOOT_FILES, "kavach-qemu", kernel, initrd));
        for (String flag : List.of("-kernel", "-initrd", "-bios")) {
            String file = qemu.value(flag).orElse(null);
            if (file != null) {
                requireReadableByOthers("the guest " + flag.substring(1) + " file", file);
            }
        }
        String id = String.valueOf(uid.getAsInt());
        argv.addAll(List.of(setpriv.toString(), "--reuid=" + id, "--regid=" + id));
        TreeSet<Integer> groups = deviceGroups();
        argv.add(groups.isEmpty() ? "--clear-groups" : "--groups=" + String.join(",", groups.stream().map(String::valueOf).toList()));
        argv.addAll(List.of("--inh-caps=-all", "--bounding-set=-all", "--pdeathsig=KILL", "--"));
        List<String> rest = qemu.argv();
        for (int i = 0; i < rest.size(); i++) {
            argv.add(rest.get(i));
            if (i + 1 < rest.size() && rest.get(i).equals("-kernel")) {
                argv.add(KERNEL_FD);
                i++;
            } else if (i + 1 < rest.size() && rest.get(i).equals("-initrd")) {
                argv.add(INITRD_FD);
                i++;
            }
        }
        return new QemuLauncher(argv, uid);
    }

    /** Groups that may open /dev/kvm or /dev/sev (group read-write), so a dropped QEMU keeps KVM and SEV. */
    private static TreeSet<Integer> deviceGroups() {
        TreeSet<Integer> groups = new TreeSet<>();
        for (Path device : DEVICES) {
            try {
                int mode = (int) Files.getAttribute(device, "unix:mode");
                int gid = (int) Files.getAttribute(device, "unix:gid");
                if ((mode & 0060) == 0060 && gid != 0) {
                    groups.add(gid);
                }
            } catch (IOException | UnsupportedOperationException e) {
                // no such device here
            }
        }
        return groups;
    }

    /** setpriv with {@code --pdeathsig} (util-linux 2.33+), located on PATH. */
    public static Optional<Path> setpriv() {
        return QemuBinary.locate("setpriv").filter(path -> QemuBinary.selfDescription(List.of(path.toString(), "--help"))
                .map(help -> help.contains("--pdeathsig")).orElse(false));
    }

    /**
     * Makes a file Kavach built (a cached vmlinux or agent image: public bytes) readable by a dropped QEMU,
     * which reads it through {@code /proc/self/fd} where only the file's own mode counts.
     */
    public static Path worldReadable(Path file) throws IOException {
        int mode = (int) Files.getAttribute(file, "unix:mode");
        if ((mode & 0044) != 0044) {
            Files.setAttribute(file, "unix:mode", (mode | 0644) & 07777);
        }
        return file;
    }

    /** Refuses a boot file a dropped QEMU cannot read, naming it and the fix, before QEMU starts. */
    static void requireReadableByOthers(String what, String file) {
        int mode;
        try {
            mode = (int) Files.getAttribute(Path.of(file), "unix:mode");
        } catch (IOException e) {
            throw new ConfigurationException(what + " " + file + " cannot be read: " + e.getMessage(), "point the setting at an existing file");
        }
        if ((mode & 0004) == 0) {
            throw new ConfigurationException(what + " " + file + " is not readable by others (mode " + Integer.toOctalString(mode & 0777)
                    + "), and QEMU runs as a uid of its own", "chmod o+r " + file);
        }
    }

    /** Hands the socket directory and its sockets to the dropped QEMU uid, which must connect to them. */
    public static void handOver(Path dir, List<Path> sockets, int uid) throws IOException {
        for (Path path : sockets) {
            Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
        }
        Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
    }
}
