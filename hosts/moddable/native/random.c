/*
 * ssiot/random fill(buffer): fills an ArrayBuffer with random bytes.
 *  - ESP32 (ESP-IDF): esp_fill_random, the hardware RNG (true random while
 *    the radio or the bootloader's entropy source runs; ESP-IDF docs,
 *    "Random Number Generation").
 *  - macOS: arc4random_buf.  Linux: getrandom(2).  Windows: BCryptGenRandom.
 * Anything else fails to compile: no silent fallback to rand().
 */
#include "xsmc.h"
#include "xsHost.h"

#if defined(ESP32)
	#include "esp_random.h"
	static void fill_random(void *p, size_t n) { esp_fill_random(p, n); }
#elif defined(__APPLE__)
	#include <stdlib.h>
	static void fill_random(void *p, size_t n) { arc4random_buf(p, n); }
#elif defined(__linux__)
	#include <sys/random.h>
	#include <errno.h>
	static void fill_random(void *p, size_t n)
	{
		uint8_t *b = p;
		while (n > 0) {
			ssize_t got = getrandom(b, n, 0);
			if (got < 0) {
				if (errno == EINTR) continue;
				return;
			}
			b += got;
			n -= (size_t)got;
		}
	}
#elif defined(_WIN32)
	#include <windows.h>
	#include <bcrypt.h>
	#pragma comment(lib, "bcrypt.lib")
	static void fill_random(void *p, size_t n) { BCryptGenRandom(NULL, p, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG); }
#else
	#error "ssiot/random: no random source for this platform"
#endif

void xs_ssiot_random_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	fill_random(data, length);
}
