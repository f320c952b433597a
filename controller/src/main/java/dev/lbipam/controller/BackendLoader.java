package dev.lbipam.controller;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamBackendFactory;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds backends with {@link ServiceLoader} and creates the one selected by name. */
public final class BackendLoader {
  private BackendLoader() {}

  public static IpamBackend create(String name, BackendContext context) {
    Map<String, IpamBackendFactory> factories = new TreeMap<>();
    for (IpamBackendFactory factory : ServiceLoader.load(IpamBackendFactory.class)) {
      IpamBackendFactory clash = factories.put(factory.name(), factory);
      if (clash != null) {
        throw new IllegalStateException("two IPAM backends are named \"" + factory.name() + "\": "
            + clash.getClass().getName() + " and " + factory.getClass().getName());
      }
    }
    IpamBackendFactory chosen = factories.get(name);
    if (chosen == null) {
      throw new IllegalStateException("unknown IPAM backend \"" + name + "\"; available: " + factories.keySet());
    }
    return chosen.create(context);
  }
}
