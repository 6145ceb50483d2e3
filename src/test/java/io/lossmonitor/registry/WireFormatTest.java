package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WireFormatTest {

    @Test
    void schemaIdIsBigEndianAfterTheMagicByte() {
        assertThat(WireFormat.schemaId(new byte[] {0, 0, 0, 1, 2, 42})).isEqualTo(258);
        assertThat(WireFormat.schemaId(new byte[] {0, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff})).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void rejectsOtherMagicBytesAndShortPayloads() {
        assertThatThrownBy(() -> WireFormat.schemaId(new byte[] {(byte) 0xc3, 0, 0, 0, 1}))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("unknown magic byte 0xc3");
        assertThatThrownBy(() -> WireFormat.schemaId(new byte[] {0, 0, 1}))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("3 bytes is shorter than the 5-byte");
    }
}
