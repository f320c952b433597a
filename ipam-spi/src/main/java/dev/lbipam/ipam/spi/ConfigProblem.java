package dev.lbipam.ipam.spi;

import java.util.Objects;

/** One bad entry in the pool configuration: the key, its value as given, and what is wrong. */
public record ConfigProblem(String key, String value, String problem) {

  public ConfigProblem {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(problem, "problem");
  }

  @Override
  public String toString() {
    return "key=" + key + " value=\"" + value + "\": " + problem;
  }
}
