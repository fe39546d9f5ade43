package dev.kavach.api.process;

import dev.kavach.api.Experimental;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * Answers that host programs gave a probe ({@code bwrap --version}, whether a trial sandbox ran, what a
 * {@code qemu -object help} lists), remembered across runs so that a short-lived {@code kavach} does not
 * start the same programs on every call. Each answer is keyed by everything it depends on, so that a
 * change shows as a miss rather than a stale answer:
 * <ul>
 * <li>the question: the argv and any value the caller adds (a sysctl, a setting);</li>
 * <li>each input file (the programs involved): its real path, device, inode, size, modification and
 *     change times, mode and owner, or its absence;</li>
 * <li>the host: this user's uid, the kernel release and the boot id (a reboot or new kernel asks again).</li>
 * </ul>
 *
 * <p>Only answers the caller returns are kept: a failed or refused probe returns empty and is asked again
 * next time, so a transient failure never sticks. The file store is best effort and safe to share a
 * directory with other users' data: one file per answer, written {@code 0600} by a rename, and read only
 * when it is a regular file (not a link) owned by this user, readable by nobody else, and its stored key
 * equals the one computed now; anything else (corrupt, foreign, stale) is ignored and replaced. Answers
 * are also kept for the life of this JVM, keyed the same way.
 *
 * <p>{@code KAVACH_HOST_PROBE_CACHE=off} in the environment turns the file store off (the in-memory one
 * stays: it is re-keyed on every call).
 */
@Experimental(eta = "1.0")
public final class HostProbeCache {
    private static final Map<String, String> IN_MEMORY = new ConcurrentHashMap<>();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final int MAX_FILE_BYTES = 256 * 1024;
    private static final String FORMAT = "kavach-host-probe-1";

    private final Path directory;

    private HostProbeCache(Path directory) {
        this.directory = directory;
    }

    /**
     * This user's cache: {@code $XDG_CACHE_HOME/kavach/host-probes} (when that is an absolute path), else
     * {@code $HOME/.cache/kavach/host-probes}; in memory only when neither is known or
     * {@code KAVACH_HOST_PROBE_CACHE=off}.
     */
    public static HostProbeCache ofUser() {
        return new HostProbeCache(userDirectory(System.getenv()).orElse(null));
    }

    /**
     * The cache of the user whose environment is {@code environment} (the directory {@link #ofUser()} would use
     * with it as this process's environment); in memory only when it names neither {@code XDG_CACHE_HOME} nor
     * {@code HOME}, or sets {@code KAVACH_HOST_PROBE_CACHE=off}. For a library that is handed an environment
     * (Kavach's {@code KavachOptions}) rather than reading the process's own.
     *
     * @param environment the environment variables to read, e.g. {@code System.getenv()}
     * @return the cache for that environment
     * @since 0.2.0
     */
    public static HostProbeCache ofEnvironment(Map<String, String> environment) {
        requireNonNull(environment, "environment is null");
        Map<String, String> only = new java.util.HashMap<>(environment);
        only.putIfAbsent("HOME", ""); // not this JVM's user.home: the caller's environment names none
        return new HostProbeCache(userDirectory(only).orElse(null));
    }

    /** A cache whose files live in {@code directory} (created {@code 0700} on first write). */
    public static HostProbeCache in(Path directory) {
        return new HostProbeCache(requireNonNull(directory, "directory is null"));
    }

    /** The directory of {@link #ofUser()} for the environment {@code env}; empty when answers stay in memory. */
    static Optional<Path> userDirectory(Map<String, String> env) {
        if ("off".equals(env.get("KAVACH_HOST_PROBE_CACHE"))) {
            return Optional.empty();
        }
        String xdg = env.getOrDefault("XDG_CACHE_HOME", "");
        if (xdg.startsWith("/")) {
            return Optional.of(Path.of(xdg, "kavach", "host-probes"));
        }
        String home = env.getOrDefault("HOME", System.getProperty("user.home", ""));
        return home.startsWith("/") ? Optional.of(Path.of(home, ".cache", "kavach", "host-probes")) : Optional.empty();
    }

    /** Where answers are stored; empty when only in memory. */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    /**
     * The remembered answer to {@code question} about {@code inputs}, or {@code ask}'s answer, remembered
     * when present.
     *
     * @param question what is asked, e.g. the argv, plus any value the answer depends on
     * @param inputs   the files the answer depends on, e.g. the programs the argv runs
     * @param ask      asks the host; empty when the probe failed (not remembered)
     */
    public Optional<String> answer(List<String> question, List<Path> inputs, Supplier<Optional<String>> ask) {
        requireNonNull(question, "question is null");
        requireNonNull(inputs, "inputs is null");
        requireNonNull(ask, "ask is null");
        String key = key(question, inputs);
        String known = IN_MEMORY.get(key);
        if (known != null) {
            return Optional.of(known);
        }
        String name = fileName(key);
        Optional<String> stored = directory == null ? Optional.empty() : read(directory.resolve(name), key);
        if (stored.isPresent()) {
            IN_MEMORY.put(key, stored.get());
            return stored;
        }
        Optional<String> asked = requireNonNull(ask.get(), "ask returned null");
        asked.ifPresent(answer -> {
            IN_MEMORY.put(key, answer);
            if (directory != null) {
                write(directory, name, key, answer);
            }
        });
        return asked;
    }

    /** Forgets the answers kept in memory, so that a test sees what the file store alone does. */
    static void forgetInMemory() {
        IN_MEMORY.clear();
    }

    /** The full key: the question, each input's identity and the host's. */
    static String key(List<String> question, List<Path> inputs) {
        StringBuilder key = new StringBuilder(FORMAT).append('\n');
        for (String part : question) {
            key.append("q ").append(escape(requireNonNull(part, "a question part is null"))).append('\n');
        }
        for (Path input : inputs) {
            key.append("f ").append(identity(requireNonNull(input, "an input is null"))).append('\n');
        }
        key.append("uid ").append(ownUid()).append('\n');
        key.append("kernel ").append(firstLine(Path.of("/proc/sys/kernel/osrelease"))).append('\n');
        key.append("boot ").append(firstLine(Path.of("/proc/sys/kernel/random/boot_id"))).append('\n');
        return key.toString();
    }

    private static String identity(Path input) {
        try {
            Path real = input.toRealPath();
            Map<String, Object> unix = Files.readAttributes(real, "unix:dev,ino,size,lastModifiedTime,ctime,mode,uid,gid");
            return escape(input.toString()) + " -> " + escape(real.toString()) + " dev=" + unix.get("dev") + " ino=" + unix.get("ino")
                    + " size=" + unix.get("size") + " mtime=" + unix.get("lastModifiedTime") + " ctime=" + unix.get("ctime")
                    + " mode=" + Integer.toOctalString((Integer) unix.get("mode")) + " owner=" + unix.get("uid") + ":" + unix.get("gid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return escape(input.toString()) + " absent";
        }
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String fileName(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16) + ".probe";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The stored answer, if the file is trustworthy and was stored under exactly this key. */
    static Optional<String> read(Path file, String key) {
        try {
            Map<String, Object> attributes = Files.readAttributes(file, "unix:uid,mode,size", LinkOption.NOFOLLOW_LINKS);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || ((Integer) attributes.get("uid")) != ownUid()
                    || (((Integer) attributes.get("mode")) & 0077) != 0 || ((Long) attributes.get("size")) > MAX_FILE_BYTES) {
                return Optional.empty();
            }
            Properties stored = new Properties();
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                stored.load(new StringReader(new String(in.readNBytes(MAX_FILE_BYTES), StandardCharsets.UTF_8)));
            }
            return key.equals(stored.getProperty("key")) ? Optional.ofNullable(stored.getProperty("answer")) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // corrupt or unreadable: asked again and rewritten
        }
    }

    private static void write(Path directory, String name, String key, String answer) {
        Path temporary = null;
        try {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            temporary = Files.createTempFile(directory, ".probe-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Properties stored = new Properties();
            stored.setProperty("key", key);
            stored.setProperty("answer", answer);
            try (OutputStream out = Files.newOutputStream(temporary)) {
                stored.store(out, "Kavach host probe answer; safe to delete");
            }
            try {
                Files.move(temporary, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, directory.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
            temporary = null;
        } catch (IOException | RuntimeException e) {
            // best effort: without the file the next run asks the host again
        } finally {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    // nothing more to do
                }
            }
        }
    }

    private static int ownUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String firstLine(Path file) {
        try {
            return Files.readAllLines(file).stream().findFirst().orElse("").strip();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
