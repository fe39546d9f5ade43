package dev.kavach.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How this host installs a distribution package: the package manager found on {@code PATH} (apt-get, dnf,
 * zypper, pacman) and the exact command line, with {@code sudo} in front when Kavach does not run as root.
 * Package names are constants and reach the command as separate arguments, never through a shell.
 */
record SystemPackages(String manager, List<String> sudo, Path binary, List<String> installArgs) {
    /** A package manager: its binary name and the install command line up to the package names. */
    private record Manager(String binary, List<String> install) {
    }

    private static final List<Manager> MANAGERS = List.of(
            new Manager("apt-get", List.of("apt-get", "install", "-y", "--no-install-recommends")),
            new Manager("dnf", List.of("dnf", "install", "-y")),
            new Manager("zypper", List.of("zypper", "--non-interactive", "install")),
            new Manager("pacman", List.of("pacman", "-S", "--noconfirm", "--needed")));

    SystemPackages {
        requireNonNull(manager, "manager is null");
        sudo = List.copyOf(sudo);
        requireNonNull(binary, "binary is null");
        installArgs = List.copyOf(installArgs);
    }

    /**
     * The way to install packages here, or why there is none (as the exception's message).
     *
     * @param path the PATH to look in
     * @param root whether Kavach runs as root (else sudo is needed)
     */
    static SystemPackages detect(String path, boolean root) {
        for (Manager manager : MANAGERS) {
            Optional<Path> binary = find(manager.binary(), path);
            if (binary.isEmpty()) {
                continue;
            }
            List<String> sudo = new ArrayList<>();
            if (!root) {
                sudo.add(find("sudo", path).orElseThrow(() -> new IllegalStateException(
                        "installing packages needs root, and sudo is not installed; as root, run: "
                                + String.join(" ", manager.install()) + " bubblewrap")).toString());
            }
            return new SystemPackages(manager.binary(), sudo, binary.get(), manager.install().subList(1, manager.install().size()));
        }
        throw new IllegalStateException("no supported package manager (apt-get, dnf, zypper, pacman) on PATH; "
                + "install the package with your system's tools");
    }

    /** The whole command line that installs {@code packages}. */
    List<String> installCommand(List<String> packages) {
        List<String> args = new ArrayList<>(installArgs);
        args.addAll(packages);
        return command(args);
    }

    /** The package manager with {@code args}, behind sudo when needed. */
    List<String> command(List<String> args) {
        List<String> argv = new ArrayList<>(sudo);
        argv.add(binary.toString());
        argv.addAll(args);
        return argv;
    }

    /** Whether {@code name} is an executable file in one of PATH's directories. */
    static Optional<Path> find(String name, String path) {
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
