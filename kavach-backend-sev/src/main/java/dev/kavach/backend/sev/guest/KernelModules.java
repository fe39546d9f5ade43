package dev.kavach.backend.sev.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * The loadable modules of one kernel ({@code /lib/modules/<release>}), read without {@code depmod} or
 * {@code modinfo}: each {@code .ko} (plain or compressed) is an ELF file whose {@code .modinfo} section
 * lists {@code depends=a,b}. {@link #loadOrder} returns modules with every dependency before its dependents,
 * the order {@code insmod} needs.
 */
public final class KernelModules {
    private final Path root;
    private final Map<String, Path> byName;
    private final Set<String> builtIn;

    private KernelModules(Path root, Map<String, Path> byName, Set<String> builtIn) {
        this.root = root;
        this.byName = Map.copyOf(byName);
        this.builtIn = Set.copyOf(builtIn);
    }

    /** Indexes the {@code .ko} files below {@code root}. */
    public static KernelModules scan(Path root) throws IOException {
        requireNonNull(root, "root is null");
        if (!Files.isDirectory(root)) {
            throw new IOException("kernel module directory " + root + " does not exist");
        }
        Map<String, Path> byName = new HashMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile).forEach(file -> {
                String name = file.getFileName().toString();
                if (name.endsWith(".ko")) {
                    byName.putIfAbsent(normalize(name.substring(0, name.length() - 3)), file);
                } else if (name.matches(".*\\.ko\\.(xz|zst|gz)")) {
                    byName.putIfAbsent(normalize(name.substring(0, name.lastIndexOf(".ko"))), file);
                }
            });
        }
        // modules.builtin (shipped with the package, e.g. Debian's 6.12 builds virtio_console in) names what needs no loading.
        Set<String> builtIn = new java.util.HashSet<>();
        Path list = root.resolve("modules.builtin");
        if (Files.isRegularFile(list)) {
            for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
                String name = line.substring(line.lastIndexOf('/') + 1);
                if (name.endsWith(".ko")) {
                    builtIn.add(normalize(name.substring(0, name.length() - 3)));
                }
            }
        }
        return new KernelModules(root, byName, builtIn);
    }

    /** Whether this kernel has the module built in, as its {@code modules.builtin} lists (false when the tree has no such list). */
    public boolean builtIn(String name) {
        return builtIn.contains(normalize(name));
    }

    /** Whether the kernel offers the module at all: loadable here or built in. */
    public boolean available(String name) {
        return has(name) || builtIn(name);
    }

    /** Whether a module of this name exists (built-in modules do not: they need no loading). */
    public boolean has(String name) {
        return byName.containsKey(normalize(name));
    }

    public Path file(String name) {
        Path file = byName.get(normalize(name));
        if (file == null) {
            throw new IllegalArgumentException("no module " + name + " below " + root);
        }
        return file;
    }

    /**
     * The wanted modules that exist here plus everything they depend on, dependencies first. Wanted names
     * absent from the tree are assumed built into the kernel and skipped.
     */
    public List<String> loadOrder(List<String> wanted) throws IOException {
        Set<String> ordered = new LinkedHashSet<>();
        for (String name : wanted) {
            if (has(name)) {
                visit(normalize(name), ordered, new LinkedHashSet<>());
            }
        }
        return List.copyOf(ordered);
    }

    private void visit(String name, Set<String> ordered, Set<String> path) throws IOException {
        if (ordered.contains(name)) {
            return;
        }
        if (!path.add(name)) {
            throw new IOException("module dependency cycle: " + String.join(" -> ", path) + " -> " + name);
        }
        for (String dependency : dependencies(bytes(name), file(name))) {
            if (has(dependency)) {
                visit(normalize(dependency), ordered, path);
            }
        }
        path.remove(name);
        ordered.add(name);
    }

    /**
     * The module's ELF bytes, decompressed when the distribution ships it compressed ({@code .ko.gz} in
     * Java, {@code .ko.xz} and {@code .ko.zst} with the host's {@code xz} and {@code zstd}): the guest's
     * busybox insmod loads plain ELF only.
     */
    public byte[] bytes(String name) throws IOException {
        Path file = file(name);
        String fileName = file.getFileName().toString();
        if (fileName.endsWith(".ko")) {
            return Files.readAllBytes(file);
        }
        if (fileName.endsWith(".gz")) {
            try (java.io.InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(file))) {
                return in.readAllBytes();
            }
        }
        List<String> argv = fileName.endsWith(".xz") ? List.of("xz", "--decompress", "--stdout", file.toString())
                : List.of("zstd", "--decompress", "--stdout", "--quiet", file.toString());
        String packageName = fileName.endsWith(".xz") ? "xz-utils" : "zstd";
        try {
            Process process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            byte[] data = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(argv.get(0) + " could not decompress " + file);
            }
            return data;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("Cannot run program")) {
                throw new IOException("module " + file + " is compressed and " + argv.get(0) + " is not installed (apt-get install " + packageName + ")", e);
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while decompressing " + file, e);
        }
    }

    /** The {@code depends=} entry of a module's {@code .modinfo} section. */
    public static List<String> dependencies(byte[] elf, Path module) throws IOException {
        for (String entry : modinfo(elf, module)) {
            if (entry.startsWith("depends=")) {
                String list = entry.substring("depends=".length()).trim();
                return list.isEmpty() ? List.of() : List.of(list.split(","));
            }
        }
        return List.of();
    }

    /** The NUL-separated {@code key=value} strings of the ELF64 {@code .modinfo} section. */
    static List<String> modinfo(byte[] elf, Path source) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || buf.getInt(0) != 0x464C457F || elf[4] != 2 || elf[5] != 1) {
            throw new IOException(source + " is not a little-endian ELF64 kernel module");
        }
        try {
            long shoff = buf.getLong(0x28);
            int shentsize = Short.toUnsignedInt(buf.getShort(0x3A));
            int shnum = Short.toUnsignedInt(buf.getShort(0x3C));
            int shstrndx = Short.toUnsignedInt(buf.getShort(0x3E));
            long strOffset = buf.getLong(Math.toIntExact(shoff + (long) shstrndx * shentsize + 0x18));
            for (int i = 0; i < shnum; i++) {
                int header = Math.toIntExact(shoff + (long) i * shentsize);
                int nameOffset = buf.getInt(header);
                if (cString(elf, Math.toIntExact(strOffset + nameOffset)).equals(".modinfo")) {
                    int offset = Math.toIntExact(buf.getLong(header + 0x18));
                    int size = Math.toIntExact(buf.getLong(header + 0x20));
                    List<String> entries = new ArrayList<>();
                    for (String s : new String(elf, offset, size, StandardCharsets.UTF_8).split("\0")) {
                        if (!s.isEmpty()) {
                            entries.add(s);
                        }
                    }
                    return entries;
                }
            }
        } catch (IndexOutOfBoundsException | ArithmeticException e) {
            throw new IOException(source + " has a malformed ELF section table", e);
        }
        throw new IOException(source + " has no .modinfo section");
    }

    private static String cString(byte[] data, int offset) {
        int end = offset;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, offset, end - offset, StandardCharsets.UTF_8);
    }

    static String normalize(String name) {
        return name.replace('-', '_');
    }
}
