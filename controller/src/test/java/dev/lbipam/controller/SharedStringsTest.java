package dev.lbipam.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedStringsTest {

  @Test
  void equalValuesDecodedSeparatelyBecomeOneCopy() {
    String first = new String(new char[] {'t', 'e', 'a', 'm', '-', '7'});
    String second = new String(new char[] {'t', 'e', 'a', 'm', '-', '7'});

    assertSame(SharedStrings.of(first), SharedStrings.of(second));
    assertEquals("team-7", SharedStrings.of(first));
  }

  @Test
  void listsKeepOrderAndNullsAndShareTheirEntries() {
    List<String> decoded = Arrays.asList(new String("TCP".toCharArray()), null, new String("UDP".toCharArray()));

    List<String> shared = SharedStrings.of(decoded);

    assertEquals(Arrays.asList("TCP", null, "UDP"), shared);
    assertSame("TCP", shared.get(0));
    assertSame("UDP", shared.get(2));
    assertNull(SharedStrings.of((List<String>) null));
    assertNull(SharedStrings.of((String) null));
  }
}
