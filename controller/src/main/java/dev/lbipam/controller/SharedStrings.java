package dev.lbipam.controller;

import java.util.ArrayList;
import java.util.List;

/**
 * One copy of a value that many cached objects repeat (namespace, type, class, family, protocol,
 * finalizer, port): every decoded object brings its own copies, five or six strings of the eleven
 * or so a slim Service holds (from a heap histogram at 50,000 Services).
 */
final class SharedStrings {
  private SharedStrings() {}

  static String of(String value) {
    return value == null ? null : value.intern();
  }

  static List<String> of(List<String> values) {
    if (values == null) {
      return null;
    }
    List<String> copy = new ArrayList<>(values.size());
    for (String value : values) {
      copy.add(of(value));
    }
    return copy;
  }
}
