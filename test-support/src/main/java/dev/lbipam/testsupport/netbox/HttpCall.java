package dev.lbipam.testsupport.netbox;

/** One request as it arrived at a stand-in or a fault proxy, for assertions and fault predicates. */
public record HttpCall(String method, String path, String query) {
  public boolean isAllocation() {
    return method.equals("POST") && path.endsWith("/available-ips/");
  }

  public boolean isAddressCreate() {
    return method.equals("POST") && path.equals("/api/ipam/ip-addresses/");
  }

  public boolean isAddressDelete() {
    return method.equals("DELETE") && path.startsWith("/api/ipam/ip-addresses/");
  }

  public boolean isWrite() {
    return !method.equals("GET");
  }
}
