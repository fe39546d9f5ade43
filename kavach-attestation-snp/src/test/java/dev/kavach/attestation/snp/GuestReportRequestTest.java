package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bytes the guest agent exchanges with /dev/sev-guest and configfs-tsm (sev-guest.h layouts). */
class GuestReportRequestTest {
    private static byte[] reportData() {
        byte[] d = new byte[64];
        for (int i = 0; i < 64; i++) {
            d[i] = (byte) (i + 1);
        }
        return d;
    }

    @Test
    void ioctlNumberIsIowrS0WithThe32ByteArgument() {
        assertEquals(0xC0205300L, GuestReportRequest.SNP_GET_REPORT);
    }

    @Test
    void snpReportReqIsUserDataThenVmplThenZeroReserved() {
        byte[] req = GuestReportRequest.snpReportReq(reportData(), 2);
        assertEquals(96, req.length);
        assertArrayEquals(reportData(), Arrays.copyOf(req, 64));
        assertEquals(2, ByteBuffer.wrap(req).order(ByteOrder.LITTLE_ENDIAN).getInt(64));
        assertArrayEquals(new byte[28], Arrays.copyOfRange(req, 68, 96));
        assertThrows(IllegalArgumentException.class, () -> GuestReportRequest.snpReportReq(new byte[63], 0));
        assertThrows(IllegalArgumentException.class, () -> GuestReportRequest.snpReportReq(reportData(), 4));
    }

    @Test
    void ioctlArgumentCarriesVersionAndBufferAddresses() {
        byte[] arg = GuestReportRequest.ioctlArgument(0x7f00_0000_1000L, 0x7f00_0000_2000L);
        ByteBuffer b = ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(32, arg.length);
        assertEquals(1, arg[0]);
        assertEquals(0x7f00_0000_1000L, b.getLong(8));
        assertEquals(0x7f00_0000_2000L, b.getLong(16));
        assertEquals(0, b.getLong(24));
        assertTrue(GuestReportRequest.describeExitInfo2(2L << 32).contains("busy"));
        assertTrue(GuestReportRequest.describeExitInfo2(0x16).contains("0x16"));
    }

    @Test
    void reportResponseYieldsTheReportOrNamesTheFirmwareStatus() {
        byte[] report = AttestationReportTest.minimal(3);
        byte[] resp = new byte[GuestReportRequest.REPORT_RESP_SIZE];
        ByteBuffer b = ByteBuffer.wrap(resp).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, AttestationReport.LENGTH);
        System.arraycopy(report, 0, resp, 32, report.length);
        assertEquals(AttestationReport.parse(report), GuestReportRequest.parseReportResponse(resp));

        b.putInt(0, 0x16);
        ReportParseException e = assertThrows(ReportParseException.class, () -> GuestReportRequest.parseReportResponse(resp));
        assertTrue(e.getMessage().contains("invalid parameters"), e.getMessage());
        b.putInt(0, 0);
        b.putInt(4, 1000);
        assertEquals("snp_report_resp.report_size", assertThrows(ReportParseException.class, () -> GuestReportRequest.parseReportResponse(resp)).field());
        assertThrows(ReportParseException.class, () -> GuestReportRequest.parseReportResponse(new byte[100]));
    }

    @Test
    void configfsTsmBlobs() {
        assertArrayEquals(reportData(), GuestReportRequest.tsmInblob(reportData()));
        assertThrows(IllegalArgumentException.class, () -> GuestReportRequest.tsmInblob(new byte[32]));
        assertArrayEquals("1".getBytes(), GuestReportRequest.tsmPrivlevel(1));
        assertThrows(IllegalArgumentException.class, () -> GuestReportRequest.tsmPrivlevel(-1));
        assertEquals(5, GuestReportRequest.parseTsmOutblob(AttestationReportTest.minimal(5)).version());
    }
}
