package dev.kavach.backend.sev.measure;

import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kavach sev measure}: the SEV-SNP launch measurement from the flags sev-snp-measure takes in
 * {@code --mode snp}. Prints only the digest; any problem is one line on stderr naming the flag.
 * As in the reference, {@code --vcpu-family} (with model and stepping) wins over a non-zero
 * {@code --vcpu-sig}, which wins over {@code --vcpu-type}.
 */
public final class MeasureCommand {
    public static final String USAGE = """
              measure --ovmf FILE --vcpus N (--vcpu-type TYPE | --vcpu-sig VALUE | --vcpu-family F --vcpu-model M --vcpu-stepping S)
                      [--kernel FILE [--initrd FILE] [--append CMDLINE]] [--guest-features VALUE] [--output-format hex|base64]
                  Prints the SEV-SNP launch measurement (the report's MEASUREMENT) of a QEMU launch, as
                  sev-snp-measure --mode snp computes it. --guest-features defaults to 0x1 (upstream QEMU 9.1+).
                  vCPU types: %s.
            """.formatted(wrapped(List.copyOf(VcpuSignature.types().keySet())));

    /** The type names, six to a line, indented as the usage text. */
    private static String wrapped(List<String> names) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            text.append(i == 0 ? "" : i % 6 == 0 ? ",\n      " : ", ").append(names.get(i));
        }
        return text.toString();
    }

    private static final Set<String> FLAGS = Set.of("--mode", "--ovmf", "--kernel", "--initrd", "--append", "--vcpus", "--vcpu-type",
            "--vcpu-sig", "--vcpu-family", "--vcpu-model", "--vcpu-stepping", "--guest-features", "--output-format");
    private static final String NAME = "kavach sev measure: ";

    private MeasureCommand() {
    }

    /** A bad flag or value; the message names it. */
    private static final class UsageError extends Exception {
        UsageError(String message) {
            super(message);
        }
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Map<String, String> flags;
        MeasurementInputs inputs;
        String format;
        try {
            flags = parse(args);
            format = flags.getOrDefault("--output-format", "hex");
            if (!format.equals("hex") && !format.equals("base64")) {
                throw new UsageError("--output-format '" + format + "' is not one of hex, base64");
            }
            inputs = inputs(flags);
        } catch (UsageError e) {
            err.println(NAME + e.getMessage());
            return 2;
        } catch (MeasurementException e) {
            err.println(NAME + e.getMessage());
            return 2;
        }
        try {
            SnpMeasurement measurement = SnpMeasurement.of(inputs);
            out.println(format.equals("hex") ? measurement.hex() : measurement.base64());
            return 0;
        } catch (MeasurementException e) {
            err.println(NAME + e.getMessage());
            return 1;
        }
    }

    private static Map<String, String> parse(List<String> args) throws UsageError {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!FLAGS.contains(name)) {
                throw new UsageError("unknown argument '" + arg + "' (flags: " + String.join(", ", FLAGS.stream().sorted().toList()) + ")");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageError(name + " needs a value");
                }
                value = args.get(++i);
            }
            if (flags.put(name, value) != null) {
                throw new UsageError(name + " is given twice; give it once");
            }
        }
        if (flags.containsKey("--mode") && !flags.get("--mode").equals("snp")) {
            throw new UsageError("--mode '" + flags.get("--mode") + "' is not supported; only snp (SEV-SNP) is");
        }
        return flags;
    }

    private static MeasurementInputs inputs(Map<String, String> flags) throws UsageError {
        Path ovmf = path(flags, "--ovmf").orElseThrow(() -> new UsageError("--ovmf FILE is required (the OVMF.fd QEMU loads with -bios)"));
        if (!flags.containsKey("--vcpus")) {
            throw new UsageError("--vcpus N is required (the -smp count)");
        }
        int vcpus = (int) integer(flags, "--vcpus", 1, Integer.MAX_VALUE);
        Optional<Path> kernel = path(flags, "--kernel");
        if (kernel.isEmpty() && flags.containsKey("--initrd")) {
            throw new UsageError("--initrd needs --kernel: the initrd is measured only in a measured direct boot");
        }
        if (kernel.isEmpty() && !flags.getOrDefault("--append", "").isEmpty()) {
            throw new UsageError("--append needs --kernel: the command line is measured only in a measured direct boot");
        }
        Optional<String> append = Optional.ofNullable(flags.get("--append"));
        if (append.isPresent() && append.get().indexOf('\uFFFD') >= 0) {
            Charset argv = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"), StandardCharsets.UTF_8);
            if (!argv.equals(StandardCharsets.UTF_8)) {
                throw new UsageError("--append holds characters this locale (" + argv + ") could not decode, so its hash would be wrong;"
                        + " run with a UTF-8 locale, e.g. LC_ALL=C.UTF-8");
            }
        }
        return new MeasurementInputs(ovmf, kernel, path(flags, "--initrd"), append, vcpus, signature(flags), guestFeatures(flags));
    }

    private static long signature(Map<String, String> flags) throws UsageError {
        if (flags.containsKey("--vcpu-family")) {
            if (!flags.containsKey("--vcpu-model") || !flags.containsKey("--vcpu-stepping")) {
                throw new UsageError("--vcpu-family needs --vcpu-model and --vcpu-stepping");
            }
            return VcpuSignature.of((int) integer(flags, "--vcpu-family", 0, 0xf + 0xff), (int) integer(flags, "--vcpu-model", 0, 0xff),
                    (int) integer(flags, "--vcpu-stepping", 0, 0xf));
        }
        if (flags.containsKey("--vcpu-model") || flags.containsKey("--vcpu-stepping")) {
            throw new UsageError("--vcpu-model and --vcpu-stepping need --vcpu-family");
        }
        if (flags.containsKey("--vcpu-sig")) {
            long sig = number(flags, "--vcpu-sig", 0xFFFF_FFFFL);
            if (sig != 0) {
                return sig; // the reference treats 0 as not given
            }
        }
        if (flags.containsKey("--vcpu-type")) {
            String type = flags.get("--vcpu-type");
            return VcpuSignature.forType(type).orElseThrow(() -> new UsageError("--vcpu-type '" + type + "' is unknown; known: "
                    + String.join(", ", VcpuSignature.types().keySet()) + " (or give --vcpu-sig)"));
        }
        throw new UsageError("give the vCPU model: --vcpu-type TYPE (e.g. EPYC-v4), --vcpu-sig VALUE or --vcpu-family/--vcpu-model/--vcpu-stepping");
    }

    private static long guestFeatures(Map<String, String> flags) throws UsageError {
        return flags.containsKey("--guest-features") ? number(flags, "--guest-features", -1L) : MeasurementInputs.DEFAULT_GUEST_FEATURES;
    }

    private static Optional<Path> path(Map<String, String> flags, String flag) throws UsageError {
        String value = flags.get(flag);
        if (value == null) {
            return Optional.empty();
        }
        if (value.isEmpty()) {
            throw new UsageError(flag + " is empty; give a file");
        }
        return Optional.of(Path.of(value));
    }

    private static long integer(Map<String, String> flags, String flag, long min, long max) throws UsageError {
        String value = flags.get(flag).strip();
        try {
            long n = Long.parseLong(value);
            if (n < min || n > max) {
                throw new UsageError(flag + " " + value + " is out of range (" + min + ".." + max + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageError(flag + " '" + value + "' is not a decimal integer");
        }
    }

    /**
     * An unsigned number written as Python's {@code int(x, 0)} reads it: decimal, or 0x, 0o, 0b prefixed.
     *
     * @param max the largest value, or -1 for any 64-bit unsigned value
     */
    static long number(Map<String, String> flags, String flag, long max) throws UsageError {
        String value = flags.get(flag).strip().replace("_", "");
        String lower = value.toLowerCase(Locale.ROOT);
        int radix = 10;
        String digits = lower;
        if (lower.startsWith("0x") || lower.startsWith("0o") || lower.startsWith("0b")) {
            radix = switch (lower.charAt(1)) {
                case 'x' -> 16;
                case 'o' -> 8;
                default -> 2;
            };
            digits = lower.substring(2);
        }
        BigInteger n;
        try {
            if (digits.isEmpty() || digits.startsWith("-") || digits.startsWith("+")) {
                throw new NumberFormatException();
            }
            n = new BigInteger(digits, radix);
        } catch (NumberFormatException e) {
            throw new UsageError(flag + " '" + flags.get(flag) + "' is not a number (decimal, or 0x-prefixed hex)");
        }
        BigInteger limit = max < 0 ? BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE) : BigInteger.valueOf(max);
        if (n.compareTo(limit) > 0) {
            throw new UsageError(flag + " " + flags.get(flag) + " is too large (at most 0x" + limit.toString(16) + ")");
        }
        return n.longValue();
    }
}
