/*
 * vsnprintf for arches without picolibc: the C11 conversions the kernel
 * uses (d i u x X o c s p %), with flags "-0+ #", width, precision ("*"
 * too) and length modifiers hh h l ll j z t. No floating point. C11 7.21.6.1.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t size;
	size_t len;                 /* what a big enough buffer would hold */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width, prec;            /* prec < 0: none */
};

static void put_string(struct out *o, const struct spec *sp, const char *s)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	/* With a precision, s need not be NUL-terminated (C11 7.21.6.1p8). */
	while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
		n++;
	if (!sp->left)
		pad(o, ' ', sp->width - (int)n);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - (int)n);
}

static void put_number(struct out *o, const struct spec *sp, uintmax_t v, bool negative,
		       unsigned base, bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[sizeof(uintmax_t) * 3];
	int n = 0, zeros, total;
	size_t plen = strlen(prefix);
	char sign = negative ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;

	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	/* C11 7.21.6.1p8: precision 0 prints no digits for 0, except "%#o". */
	if (!n && (sp->prec != 0 || (base == 8 && sp->alt)))
		tmp[n++] = '0';
	if (base == 8 && sp->alt && tmp[n - 1] != '0')
		tmp[n++] = '0';
	zeros = sp->prec > n ? sp->prec - n : 0;
	total = n + zeros + (int)plen + (sign != 0);
	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}
	if (!sp->left)
		pad(o, ' ', sp->width - total);
	if (sign)
		put(o, sign);
	while (*prefix)
		put(o, *prefix++);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_MAX, LEN_SIZE, LEN_PTRDIFF };

static uintmax_t get_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_MAX: return va_arg(*ap, uintmax_t);
	case LEN_SIZE: return va_arg(*ap, size_t);
	case LEN_PTRDIFF: return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static intmax_t get_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR: return (signed char)va_arg(*ap, int);
	case LEN_SHORT: return (short)va_arg(*ap, int);
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_MAX: return va_arg(*ap, intmax_t);
	case LEN_SIZE: return (intmax_t)va_arg(*ap, size_t);
	case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static int get_int_or_digits(const char **fmt, va_list *ap)
{
	int v = 0;

	if (**fmt == '*') {
		(*fmt)++;
		return va_arg(*ap, int);
	}
	while (**fmt >= '0' && **fmt <= '9')
		v = v * 10 + (*(*fmt)++ - '0');
	return v;
}

static enum length get_length(const char **fmt)
{
	switch (*(*fmt)++) {
	case 'h': return **fmt == 'h' ? ((*fmt)++, LEN_CHAR) : LEN_SHORT;
	case 'l': return **fmt == 'l' ? ((*fmt)++, LEN_LLONG) : LEN_LONG;
	case 'j': return LEN_MAX;
	case 'z': return LEN_SIZE;
	case 't': return LEN_PTRDIFF;
	default: (*fmt)--; return LEN_INT;
	}
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt_in, va_list ap_in)
{
	struct out o = { buf, size, 0 };
	const char *fmt = fmt_in;   /* the helpers advance it through a plain const char ** */
	va_list ap;

	va_copy(ap, ap_in);
	while (*fmt) {
		struct spec sp = { .prec = -1 };
		enum length len;
		char c;

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-') sp.left = true;
			else if (*fmt == '0') sp.zero = true;
			else if (*fmt == '+') sp.plus = true;
			else if (*fmt == ' ') sp.space = true;
			else if (*fmt == '#') sp.alt = true;
			else break;
		}
		sp.width = get_int_or_digits(&fmt, &ap);
		if (sp.width < 0) {         /* C11 7.21.6.1p5: "-" flag and positive width */
			sp.left = true;
			sp.width = -sp.width;
		}
		if (*fmt == '.') {
			fmt++;
			sp.prec = get_int_or_digits(&fmt, &ap);
			if (sp.prec < 0)
				sp.prec = -1;
		}
		len = get_length(&fmt);
		switch (c = *fmt++) {
		case 'd':
		case 'i': {
			intmax_t v = get_signed(&ap, len);

			put_number(&o, &sp, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0, 10, false, "");
			break;
		}
		case 'u':
			put_number(&o, &sp, get_unsigned(&ap, len), false, 10, false, "");
			break;
		case 'o':
			put_number(&o, &sp, get_unsigned(&ap, len), false, 8, false, "");
			break;
		case 'x':
		case 'X': {
			uintmax_t v = get_unsigned(&ap, len);

			put_number(&o, &sp, v, false, 16, c == 'X',
				   sp.alt && v ? (c == 'X' ? "0X" : "0x") : "");
			break;
		}
		case 'p':
			put_number(&o, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false, "0x");
			break;
		case 'c':
			if (!sp.left)
				pad(&o, ' ', sp.width - 1);
			put(&o, (char)va_arg(ap, int));
			if (sp.left)
				pad(&o, ' ', sp.width - 1);
			break;
		case 's':
			put_string(&o, &sp, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		default:                    /* undefined behaviour in C11: show it */
			put(&o, '%');
			if (c)
				put(&o, c);
			else
				fmt--;
			break;
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
