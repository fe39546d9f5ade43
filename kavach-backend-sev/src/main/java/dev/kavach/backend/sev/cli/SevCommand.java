package dev.kavach.backend.sev.cli;

import dev.kavach.backend.sev.GuestSetup;
import dev.kavach.backend.sev.SevBackendProvider;
import dev.kavach.backend.sev.VmBackend;
import dev.kavach.backend.sev.VmBackends;
import dev.kavach.backend.sev.guest.GuestImageBuilder;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.BackendContext;
import dev.kavach.api.CommandExtension;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kavach sev ...}: tools for the VM backends. {@code build-image} builds the guest agent initramfs
 * (busybox, agent, kernel modules in load order); {@code dry-run} prints the QEMU command line the
 * {@code sev} backend would run, also on hosts without SEV-SNP; {@code policy} decodes an SNP guest policy; {@code measure} computes an SNP launch measurement.
 */
public final class SevCommand implements CommandExtension {
    private static final String USAGE = """
            Usage: kavach sev <command> [options]

            Commands:
              build-image --kernel FILE [--modules DIR] [--busybox FILE] [--out FILE] [--snp]
                  Builds the guest agent initramfs (gzip cpio: static busybox, the Kavach agent, the kernel
                  modules the guest needs in load order) and caches it under the backend's state directory.
                  --modules defaults to the kernel's lib/modules/<release>, --busybox to /bin/busybox
                  (apt-get install busybox-static); --snp adds the SEV guest driver modules.
                  Then set kavach.backends.vm.initrd (or .sev.initrd) to the printed path.
              dry-run [--memory MIB] [--cpus N] [--] COMMAND [ARG...]
                  Prints the QEMU command line the sev backend would run for COMMAND, one argument per line,
                  from kavach.backends.sev.* (works on hosts without SEV-SNP; needs the kernel configured and,
                  without /dev/cpu/0/cpuid, kavach.backends.sev.cbitpos); on stderr the launch measurement the
                  guest must report ("measurement: <hex>").
              fetch-kernel [--series 6.12|6.1] [--dir DIR] [--quiet]
                  Downloads and unpacks a Debian guest kernel and its modules (apt-get download, dpkg-deb -x; no
                  install) into DIR (default: the state directory's guest-kernel-<series>) and prints its paths.
                  6.12 (default) can ask for SEV-SNP reports (configfs-tsm, sev-guest); 6.1 serves the vm backend.
              fetch-certs [--report FILE | --generation G [--chip-id HEX --tcb TCB]] [--vlek] [--crl] [--cert-dir DIR]
                  Fills the certificate cache (attestation.cert-dir) from AMD's key distribution service: the ASK+ARK
                  (with --vlek ASVK+ARK) chain of a generation, the VCEK of a chip at a TCB, with --crl the CRLs, so
                  that reports verify offline. 'kavach sev fetch-certs --help' lists every option.
            %s  policy VALUE
                  Decodes an SEV-SNP guest policy (e.g. 0x30000) bit by bit and says whether upstream KVM accepts it.
              --help
                  Prints this text.
            """.formatted(dev.kavach.backend.sev.measure.MeasureCommand.USAGE);

    @Override
    public String name() {
        return "sev";
    }

    @Override
    public String summary() {
        return "VM backend tools: build the guest agent image, print the SNP QEMU command line, compute SNP launch measurements, fetch guest kernels and AMD certificates, decode SNP guest policies";
    }

    @Override
    public String backendId() {
        return "sev";
    }

    @Override
    public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        // measure takes free text (--append), so only its first argument can ask for help.
        boolean help = args.isEmpty() || (args.get(0).equals("measure")
                ? args.size() > 1 && (args.get(1).equals("--help") || args.get(1).equals("-h"))
                : args.contains("--help") || args.contains("-h"));
        if (help) {
            (args.isEmpty() ? err : out).print(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        return switch (args.get(0)) {
            case "build-image" -> buildImage(args.subList(1, args.size()), context, out, err);
            case "policy" -> policy(args.subList(1, args.size()), out, err);
            case "dry-run" -> dryRun(args.subList(1, args.size()), context, out, err);
            case "measure" -> dev.kavach.backend.sev.measure.MeasureCommand.run(args.subList(1, args.size()), out, err);
            case "fetch-kernel" -> new FetchKernelCommand(null).run(args.subList(1, args.size()), context, out, err);
            case "fetch-certs" -> new dev.kavach.backend.sev.cli.FetchCertsCommand().run(args.subList(1, args.size()), context, out, err);
            default -> {
                err.println("kavach sev: unknown command '" + args.get(0) + "'");
                err.print(USAGE);
                yield 2;
            }
        };
    }

    private static int buildImage(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        Map<String, String> options = new HashMap<>();
        boolean snp = false;
        Set<String> valued = Set.of("--kernel", "--modules", "--busybox", "--out");
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--snp")) {
                snp = true;
            } else if (valued.contains(arg) && i + 1 < args.size()) {
                options.put(arg, args.get(++i));
            } else {
                err.println("kavach sev build-image: unexpected argument '" + arg + "'" + (valued.contains(arg) ? " (it needs a value)" : ""));
                err.print(USAGE);
                return 2;
            }
        }
        if (!options.containsKey("--kernel") && !options.containsKey("--modules")) {
            err.println("kavach sev build-image: give --kernel FILE (its modules are found beside it) or --modules DIR");
            return 2;
        }
        Path modules;
        if (options.containsKey("--modules")) {
            modules = Path.of(options.get("--modules"));
        } else {
            Path kernel = Path.of(options.get("--kernel"));
            modules = GuestImageBuilder.modulesFor(kernel).orElse(null);
            if (modules == null) {
                err.println("kavach sev build-image: no lib/modules/<release> found for " + kernel + "; pass --modules DIR");
                return 2;
            }
        }
        Path busybox = Path.of(options.getOrDefault("--busybox", "/bin/busybox"));
        Path outFile = options.containsKey("--out") ? Path.of(options.get("--out")) : null;
        try {
            GuestImageBuilder.Image image = GuestImageBuilder.build(busybox, modules, GuestSetup.wantedModules(snp),
                    context.stateDir().resolve("images"), outFile);
            out.println(image.initrd());
            err.println("modules (load order): " + String.join(", ", image.modules()));
            err.println("sha256 of inputs: " + image.hash() + (image.cached() ? " (cached)" : " (built)"));
            return 0;
        } catch (IOException e) {
            err.println("kavach sev build-image: " + e.getMessage());
            return 1;
        }
    }

    private static int dryRun(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        dev.kavach.api.SandboxPolicy policy = dev.kavach.api.SandboxPolicy.basic();
        int i = 0;
        try {
            for (; i < args.size(); i++) {
                String arg = args.get(i);
                if (arg.equals("--memory") && i + 1 < args.size()) {
                    policy = policy.withMemoryMiB(Long.parseLong(args.get(++i)));
                } else if (arg.equals("--cpus") && i + 1 < args.size()) {
                    policy = policy.withCpus(Double.parseDouble(args.get(++i)));
                } else if (arg.equals("--")) {
                    i++;
                    break;
                } else {
                    break;
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("kavach sev dry-run: " + e.getMessage());
            return 2;
        }
        if (i >= args.size()) {
            err.println("kavach sev dry-run: give the command to run, e.g. kavach sev dry-run -- /bin/true");
            return 2;
        }
        try (VmBackend backend = VmBackends.assemble(context, true)) {
            dev.kavach.api.ExecRequest request = dev.kavach.api.ExecRequest.of(args.subList(i, args.size())).withPolicy(policy);
            for (String arg : backend.commandLine(request).orElseThrow()) {
                out.println(arg);
            }
            // stdout stays one argument per line; the expected measurement goes beside it on stderr.
            SevBackendProvider.details(backend, request).forEach((key, value) -> err.println(key + ": " + value));
            return 0;
        } catch (dev.kavach.api.KavachException e) {
            err.println("kavach sev dry-run: " + e.oneLine());
            return 1;
        }
    }

    private static int policy(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1) {
            err.println("kavach sev policy: give one value, e.g. 0x30000");
            return 2;
        }
        SnpGuestPolicy policy;
        try {
            policy = SnpGuestPolicy.fromBits(Long.decode(args.get(0)));
        } catch (NumberFormatException e) {
            err.println("kavach sev policy: '" + args.get(0) + "' is not a number (decimal or 0x-prefixed hex)");
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("kavach sev policy: " + e.getMessage());
            return 1;
        }
        out.println("policy " + policy.toHex());
        out.println("  ABI minimum      " + policy.abiMajor() + "." + policy.abiMinor());
        out.println("  SMT allowed      " + policy.smtAllowed());
        out.println("  migration agent  " + policy.migrationAgent());
        out.println("  debug            " + policy.debug());
        out.println("  single socket    " + policy.singleSocket());
        out.println("  CXL allowed      " + policy.cxlAllowed());
        out.println("  AES-256-XTS      " + policy.memAes256Xts());
        out.println("  RAPL disabled    " + policy.raplDisabled());
        out.println("  ciphertext hiding " + policy.ciphertextHiding());
        out.println("  page swap off    " + policy.pageSwapDisabled());
        List<String> rejected = policy.bitsRejectedByKvm();
        out.println(rejected.isEmpty() ? "upstream KVM accepts this policy" : "upstream KVM refuses: " + String.join(", ", rejected));
        policy.weakenings().forEach(w -> out.println("WARNING: " + w));
        return 0;
    }
}
