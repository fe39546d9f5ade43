package dev.kavach.backend.sev.cli;

import dev.kavach.backend.sev.measure.MeasurementException;
import dev.kavach.backend.sev.measure.MeasurementInputs;
import dev.kavach.backend.sev.measure.SnpMeasurement;
import dev.kavach.backend.sev.measure.VcpuSignature;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

/**
 * {@code kavach sev measure}: the SEV-SNP launch measurement from the flags sev-snp-measure takes in
 * {@code --mode snp}. Prints only the digest; any problem is one line on stderr naming the flag.
 * As in the reference, {@code --vcpu-family} (with model and stepping) wins over a non-zero
 * {@code --vcpu-sig}, which wins over {@code --vcpu-type}.
 */
@Command(name = "measure", sortOptions = false,
        description = {"Prints the SEV-SNP launch measurement (the report's MEASUREMENT) of a QEMU launch, as sev-snp-measure"
                + " --mode snp computes it.",
                "The vCPU model: --vcpu-family (with --vcpu-model and --vcpu-stepping) wins over a non-zero --vcpu-sig,"
                + " which wins over --vcpu-type."},
        footer = "Exit: 0 printed, 1 the firmware or kernel cannot be measured, 2 a usage error.")
public final class MeasureCommand extends PluginCommandLine.Subcommand {
    private static final String NAME = "kavach sev measure: ";

    @Option(names = "--mode", paramLabel = "snp", description = "only snp (SEV-SNP) is supported")
    String mode;
    @Option(names = "--ovmf", paramLabel = "FILE", description = "the OVMF.fd QEMU loads with -bios")
    String ovmf;
    @Option(names = "--kernel", paramLabel = "FILE", description = "the kernel of a measured direct boot")
    String kernel;
    @Option(names = "--initrd", paramLabel = "FILE", description = "its initrd")
    String initrd;
    @Option(names = "--append", paramLabel = "CMDLINE", description = "its kernel command line")
    String append;
    @Option(names = "--vcpus", paramLabel = "N", description = "the -smp count")
    String vcpus;
    @Option(names = "--vcpu-type", paramLabel = "TYPE", description = "the QEMU CPU model, one of: ${COMPLETION-CANDIDATES}",
            completionCandidates = VcpuTypes.class)
    String vcpuType;
    @Option(names = "--vcpu-sig", paramLabel = "VALUE", description = "the CPUID signature")
    String vcpuSig;
    @Option(names = "--vcpu-family", paramLabel = "F", description = "the CPU family")
    String vcpuFamily;
    @Option(names = "--vcpu-model", paramLabel = "M", description = "the CPU model")
    String vcpuModel;
    @Option(names = "--vcpu-stepping", paramLabel = "S", description = "the CPU stepping")
    String vcpuStepping;
    @Option(names = "--guest-features", paramLabel = "VALUE", description = "SEV features (default 0x1, as upstream QEMU 9.1+)")
    String guestFeatures;
    @Option(names = "--output-format", paramLabel = "hex|base64", description = "hex (default) or base64")
    String outputFormat;

    /** The vCPU type names, for the help text. */
    static final class VcpuTypes implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return VcpuSignature.types().keySet().iterator();
        }
    }

    /** A bad flag or value; the message names it. */
    private static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    /** Runs with the arguments after {@code measure}. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return new MeasureCommand().bind(null, out, err).runAlone("kavach sev measure", args);
    }

    /**
     * Every option's value is taken as given, even one that looks like an option: {@code --append} is the guest's
     * free-text kernel command line, which may itself say {@code --help}, as sev-snp-measure reads it.
     */
    @Override
    CommandLine configure(CommandLine measure) {
        return measure.setAllowOptionsAsOptionParameters(true);
    }

    @Override
    public Integer call() {
        Map<String, String> flags = new LinkedHashMap<>();
        String[][] given = {{"--mode", mode}, {"--ovmf", ovmf}, {"--kernel", kernel}, {"--initrd", initrd}, {"--append", append},
                {"--vcpus", vcpus}, {"--vcpu-type", vcpuType}, {"--vcpu-sig", vcpuSig}, {"--vcpu-family", vcpuFamily},
                {"--vcpu-model", vcpuModel}, {"--vcpu-stepping", vcpuStepping}, {"--guest-features", guestFeatures},
                {"--output-format", outputFormat}};
        for (String[] option : given) {
            if (option[1] != null) {
                flags.put(option[0], option[1]);
            }
        }
        MeasurementInputs inputs;
        String format = flags.getOrDefault("--output-format", "hex");
        try {
            if (mode != null && !mode.equals("snp")) {
                throw new UsageError("--mode '" + mode + "' is not supported; only snp (SEV-SNP) is");
            }
            if (!format.equals("hex") && !format.equals("base64")) {
                throw new UsageError("--output-format '" + format + "' is not one of hex, base64");
            }
            inputs = inputs(flags);
        } catch (UsageError e) {
            throw usage(e.getMessage());
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
