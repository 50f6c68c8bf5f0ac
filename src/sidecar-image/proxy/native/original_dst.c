// getsockopt(SO_ORIGINAL_DST) for Node: the address a connection had before
// iptables REDIRECT sent it to the proxy. Node exposes no socket options, so
// this is the one thing the proxy needs native code for.
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

// From <linux/netfilter_ipv4.h>, which clashes with glibc's <netinet/in.h>.
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "originalDst(fd: number)");
    return NULL;
  }
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  memset(&addr, 0, sizeof(addr));
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &addr, &len) != 0) {
    // ENOENT: the connection was not redirected; the caller decides what that means.
    napi_value code;
    napi_create_int32(env, -errno, &code);
    return code;
  }
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  napi_value result, host, port;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &host);
  napi_create_int32(env, ntohs(addr.sin_port), &port);
  napi_set_named_property(env, result, "address", host);
  napi_set_named_property(env, result, "port", port);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  return exports;
}
