package dev.kavach.attestation.snp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static java.util.Objects.requireNonNull;

/**
 * The guest side of getting a report, as bytes: what the guest agent hands the Linux {@code sev-guest}
 * driver ({@code /dev/sev-guest}, ioctl {@code SNP_GET_REPORT}) or writes to configfs-tsm
 * ({@code /sys/kernel/config/tsm/report/<name>/inblob}), and how it reads the answer. The Kavach agent itself
 * is a busybox script ({@code guest/attest}) that writes {@link ResultStatement#reportData()} to configfs-tsm;
 * these helpers give the same bytes to other guests and tests. Layouts follow
 * {@code include/uapi/linux/sev-guest.h}; all integers are little-endian (x86). Static and side-effect
 * free, so the framing is tested on hosts without SEV; issuing the ioctl is the guest agent's job.
 */
public final class GuestReportRequest {
    /** {@code _IOWR('S', 0x0, struct snp_guest_request_ioctl)}: the ioctl request number. */
    public static final long SNP_GET_REPORT = iowr('S', 0x0, 32);
    /** {@code sizeof(struct snp_report_req)}: 64 bytes user_data, u32 vmpl, 28 reserved. */
    public static final int REPORT_REQ_SIZE = 96;
    /** {@code sizeof(struct snp_report_resp)}: the response buffer the driver fills. */
    public static final int REPORT_RESP_SIZE = 4000;
    /** {@code sizeof(struct snp_guest_request_ioctl)}. */
    public static final int IOCTL_ARG_SIZE = 32;

    private GuestReportRequest() {
    }

    private static long iowr(char type, int nr, int size) {
        return (3L << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    /**
     * {@code struct snp_report_req}: REPORT_DATA and the VMPL to report at.
     *
     * @param reportData exactly 64 bytes ({@link ResultStatement#reportData()})
     * @param vmpl       0..3
     */
    public static byte[] snpReportReq(byte[] reportData, int vmpl) {
        requireReportData(reportData);
        if (vmpl < 0 || vmpl > 3) {
            throw new IllegalArgumentException("vmpl must be 0..3, got " + vmpl);
        }
        ByteBuffer buf = ByteBuffer.allocate(REPORT_REQ_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(reportData);
        buf.putInt(vmpl);
        // 28 reserved bytes stay zero: the firmware rejects non-zero reserved fields.
        return buf.array();
    }

    /**
     * {@code struct snp_guest_request_ioctl}: message version 1, then the addresses of the request and
     * response buffers (native memory the agent allocated), then exitinfo2, which the driver fills.
     */
    public static byte[] ioctlArgument(long requestAddress, long responseAddress) {
        ByteBuffer buf = ByteBuffer.allocate(IOCTL_ARG_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        buf.put((byte) 1);
        buf.position(8);
        buf.putLong(requestAddress);
        buf.putLong(responseAddress);
        buf.putLong(0);
        return buf.array();
    }

    /**
     * Explains a failed ioctl's exitinfo2: the low 32 bits are the firmware error, the high 32 the VMM
     * (hypervisor) error.
     */
    public static String describeExitInfo2(long exitInfo2) {
        int fw = (int) exitInfo2;
        int vmm = (int) (exitInfo2 >>> 32);
        String vmmText = switch (vmm) {
            case 0 -> "none";
            case 1 -> "invalid certificate buffer length";
            case 2 -> "the hypervisor is busy (retry)";
            default -> "unknown VMM error " + vmm;
        };
        return String.format("firmware error 0x%x, VMM error: %s", fw, vmmText);
    }

    /**
     * Reads the report out of a {@code struct snp_report_resp}: MSG_REPORT_RSP {u32 status, u32 report_size,
     * 24 reserved, report}.
     *
     * @throws ReportParseException when the status is not success or the report is malformed
     */
    public static AttestationReport parseReportResponse(byte[] response) {
        requireNonNull(response, "response is null");
        if (response.length < 32 + AttestationReport.LENGTH) {
            throw new ReportParseException("snp_report_resp", 0, "response is " + response.length + " bytes, shorter than the "
                    + (32 + AttestationReport.LENGTH) + " a report response needs");
        }
        ByteBuffer buf = ByteBuffer.wrap(response).order(ByteOrder.LITTLE_ENDIAN);
        int status = buf.getInt(0);
        if (status != 0) {
            String meaning = switch (status) {
                case 0x16 -> "invalid parameters (non-zero reserved bytes or a VMPL below the guest's own)";
                case 0x27 -> "invalid key selection";
                default -> "firmware status " + status;
            };
            throw new ReportParseException("snp_report_resp.status", 0, String.format("status 0x%x: %s", status, meaning));
        }
        int size = buf.getInt(4);
        if (size != AttestationReport.LENGTH) {
            throw new ReportParseException("snp_report_resp.report_size", 4, "report_size " + Integer.toUnsignedString(size)
                    + ", expected " + AttestationReport.LENGTH);
        }
        return AttestationReport.parse(Arrays.copyOfRange(response, 32, 32 + AttestationReport.LENGTH));
    }

    /**
     * What to write to configfs-tsm's {@code inblob}: the 64 REPORT_DATA bytes, raw. (The kernel pads
     * shorter writes with zeros; writing all 64 keeps the binding explicit.)
     */
    public static byte[] tsmInblob(byte[] reportData) {
        requireReportData(reportData);
        return reportData.clone();
    }

    /** What to write to configfs-tsm's {@code privlevel}: the VMPL in decimal ASCII. */
    public static byte[] tsmPrivlevel(int vmpl) {
        if (vmpl < 0 || vmpl > 3) {
            throw new IllegalArgumentException("privlevel (vmpl) must be 0..3, got " + vmpl);
        }
        return Integer.toString(vmpl).getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads configfs-tsm's {@code outblob}: the raw report. */
    public static AttestationReport parseTsmOutblob(byte[] outblob) {
        return AttestationReport.parse(outblob);
    }

    private static void requireReportData(byte[] reportData) {
        requireNonNull(reportData, "reportData is null");
        if (reportData.length != 64) {
            throw new IllegalArgumentException("REPORT_DATA must be exactly 64 bytes, got " + reportData.length);
        }
    }
}
