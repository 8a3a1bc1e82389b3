/* The fast check of line protocol text, compiled: the same strict subset of influxd 1.x's
 * grammar as the regular expression of _textcheck.py (_fast() and _keys_fine()), read
 * byte by byte in one pass.
 *
 * accepts(body, factor) -> bool: True only when every newline of body ends a line, no line
 * is blank or a comment (one final newline aside) and influxd accepts every line, with no
 * number or time that could be out of range (the same digit bounds as the pattern). False
 * says nothing about the body: the caller then runs the exact check of _textcheck.py,
 * which gives the verdict and names the culprit. So this only has to be sound (never True
 * where the exact check refuses), and quick on the common case; tests compare it with the
 * pattern on random bodies (tests/test_serialization_textcheck.py).
 *
 * Bytes are taken as the pattern takes them: what is not ASCII is a name byte (the caller
 * checks that the body is UTF-8 first).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* byte classes */
#define SPACE 1       /* \t \n \v \f \r and space: what \s means for bytes */
#define MEAS_STOP 2   /* ends a run of a measurement: a space, ',' or '\' */
#define NAME_STOP 4   /* ends a run of a tag key or value: a space, ',', '=' or '\' */
#define KEY_STOP 8    /* ends a run of a field key: those and '"' */
#define DIGIT 16

static unsigned char cls[256];

static void
init_classes(void)
{
    const char *spaces = "\t\n\v\f\r ";
    for (const char *c = spaces; *c; c++) {
        cls[(unsigned char)*c] |= SPACE | MEAS_STOP | NAME_STOP | KEY_STOP;
    }
    cls[','] |= MEAS_STOP | NAME_STOP | KEY_STOP;
    cls['\\'] |= MEAS_STOP | NAME_STOP | KEY_STOP;
    cls['='] |= NAME_STOP | KEY_STOP;
    cls['"'] |= KEY_STOP;
    for (int c = '0'; c <= '9'; c++) {
        cls[c] |= DIGIT;
    }
}

/* the three escapes where influxd's two ways of reading names agree */
#define ESCAPED(c) ((c) == ' ' || (c) == ',' || (c) == '=')
#define MAX_SERIES_KEY 48000
#define MAX_TAGS 256

typedef struct {
    const unsigned char *s;
    Py_ssize_t n;
    Py_ssize_t i;
} scan_t;

static Py_ssize_t
digits(scan_t *sc)
{
    Py_ssize_t start = sc->i;
    while (sc->i < sc->n && (cls[sc->s[sc->i]] & DIGIT)) {
        sc->i++;
    }
    return sc->i - start;
}

/* a name: not empty, runs of bytes not in the class `stop` between escapes, each run of at
 * most `most` bytes and at most `escapes` escapes (a bound that keeps a field key short) */
static int
name(scan_t *sc, int stop, Py_ssize_t most, int escapes)
{
    const unsigned char *s = sc->s;
    Py_ssize_t i = sc->i, n = sc->n, run = 0;
    if (i >= n || ((cls[s[i]] & stop) && s[i] != '\\')) {
        return 0;
    }
    while (i < n) {
        unsigned char c = s[i];
        if (!(cls[c] & stop)) {
            if (++run > most) {
                return 0;
            }
            i++;
        }
        else if (c == '\\' && i + 1 < n && ESCAPED(s[i + 1])) {
            if (--escapes < 0) {
                return 0;
            }
            run = 0;
            i += 2;
        }
        else {
            break;
        }
    }
    sc->i = i;
    return 1;
}

/* a tag key or value: no bound (the series key's length is checked whole) */
#define tag_name(sc) name((sc), NAME_STOP, PY_SSIZE_T_MAX, INT_MAX)
/* a field key: runs of at most 1000 bytes between at most 16 escapes, so that no key can
 * be too long */
#define field_key(sc) name((sc), KEY_STOP, 1000, 16)

static int
word(scan_t *sc, const char *rest)
{
    size_t len = strlen(rest);
    if ((size_t)(sc->n - sc->i) >= len && memcmp(sc->s + sc->i, rest, len) == 0) {
        sc->i += (Py_ssize_t)len;
        return 1;
    }
    return 0;
}

/* a field value: a float, an integer (i), an unsigned (u), a boolean or a string; numbers
 * short enough that they cannot be out of their type's range */
static int
field_value(scan_t *sc)
{
    const unsigned char *s = sc->s;
    Py_ssize_t n = sc->n;
    if (sc->i >= n) {
        return 0;
    }
    unsigned char c = s[sc->i];
    if (c == '"') {
        Py_ssize_t i = sc->i + 1;
        for (;;) {
            if (i >= n) {
                return 0;
            }
            c = s[i];
            if (c == '"') {
                sc->i = i + 1;
                return 1;
            }
            if (c == '\n') {
                return 0;
            }
            if (c == '\\') {
                if (i + 1 >= n || s[i + 1] == '\n') {
                    return 0;
                }
                i += 2;
            }
            else {
                i++;
            }
        }
    }
    switch (c) {
    case 't':
        sc->i++;
        word(sc, "rue");
        return 1;
    case 'T':
        sc->i++;
        if (!word(sc, "rue")) {
            word(sc, "RUE");
        }
        return 1;
    case 'f':
        sc->i++;
        word(sc, "alse");
        return 1;
    case 'F':
        sc->i++;
        if (!word(sc, "alse")) {
            word(sc, "ALSE");
        }
        return 1;
    }
    int negative = c == '-';
    if (negative) {
        sc->i++;
    }
    Py_ssize_t whole = digits(sc);
    if (whole) {
        if (sc->i < n && s[sc->i] == 'i') {
            sc->i++;
            return whole <= 18;
        }
        if (sc->i < n && s[sc->i] == 'u') {
            sc->i++;
            return !negative && whole <= 19;
        }
        if (whole > 18) {
            return 0;
        }
        if (sc->i < n && s[sc->i] == '.') {
            sc->i++;
            if (digits(sc) > 20) {
                return 0;
            }
        }
    }
    else {
        if (sc->i >= n || s[sc->i] != '.') {
            return 0;
        }
        sc->i++;
        Py_ssize_t fraction = digits(sc);
        if (fraction < 1 || fraction > 20) {
            return 0;
        }
    }
    if (sc->i < n && (s[sc->i] == 'e' || s[sc->i] == 'E')) {
        sc->i++;
        if (sc->i < n && (s[sc->i] == '+' || s[sc->i] == '-')) {
            sc->i++;
        }
        Py_ssize_t exponent = digits(sc);
        return exponent >= 1 && exponent <= 2;
    }
    return 1;
}

static int
is_time(const unsigned char *key, Py_ssize_t len)
{
    return len == 4 && memcmp(key, "time", 4) == 0;
}

/* the body, line by line; first_lo..first_hi and most say what timestamps cannot be out of
 * range at the precision (up to `most` digits, or one more whose first is in the range);
 * most == 0: no timestamp is taken */
static int
accepts(const unsigned char *s, Py_ssize_t n, int first_lo, int first_hi, Py_ssize_t most)
{
    scan_t sc = {s, n, 0};
    Py_ssize_t key_at[MAX_TAGS], key_len[MAX_TAGS];
    if (n == 0) {
        return 0;
    }
    for (;;) {
        Py_ssize_t line = sc.i;
        /* the measurement: not empty, not a comment */
        unsigned char c = s[sc.i];
        if ((cls[c] & SPACE) || c == ',' || c == '#' || c == 0) {
            return 0;
        }
        while (sc.i < n) {
            c = s[sc.i];
            if (!(cls[c] & MEAS_STOP)) {
                sc.i++;
            }
            else if (c == '\\' && sc.i + 1 < n && ESCAPED(s[sc.i + 1])) {
                sc.i += 2;
            }
            else {
                break;
            }
        }
        /* the tags */
        int tags = 0;
        while (sc.i < n && s[sc.i] == ',') {
            sc.i++;
            Py_ssize_t at = sc.i;
            if (!tag_name(&sc) || sc.i >= n || s[sc.i] != '=') {
                return 0;
            }
            Py_ssize_t len = sc.i - at;
            if (is_time(s + at, len) || tags == MAX_TAGS) {
                return 0;
            }
            for (int k = 0; k < tags; k++) {
                if (key_len[k] == len && memcmp(s + key_at[k], s + at, (size_t)len) == 0) {
                    return 0; /* a duplicate tag key */
                }
            }
            key_at[tags] = at;
            key_len[tags] = len;
            tags++;
            sc.i++;
            if (!tag_name(&sc)) {
                return 0;
            }
        }
        if (sc.i >= n || s[sc.i] != ' ' || sc.i - line > MAX_SERIES_KEY) {
            return 0;
        }
        sc.i++;
        /* the fields */
        for (;;) {
            Py_ssize_t at = sc.i;
            if (!field_key(&sc) || sc.i >= n || s[sc.i] != '=' || is_time(s + at, sc.i - at)) {
                return 0;
            }
            sc.i++;
            if (!field_value(&sc)) {
                return 0;
            }
            if (sc.i < n && s[sc.i] == ',') {
                sc.i++;
                continue;
            }
            break;
        }
        /* the timestamp */
        if (sc.i < n && s[sc.i] == ' ') {
            if (!most) {
                return 0;
            }
            sc.i++;
            if (sc.i < n && s[sc.i] == '-') {
                sc.i++;
            }
            Py_ssize_t first = sc.i;
            Py_ssize_t count = digits(&sc);
            if (count < 1 || count > most + 1) {
                return 0;
            }
            if (count == most + 1 && (s[first] < first_lo || s[first] > first_hi)) {
                return 0;
            }
        }
        if (sc.i == n) {
            return 1;
        }
        if (s[sc.i] != '\n') {
            return 0;
        }
        sc.i++;
        if (sc.i == n) {
            return 1; /* a final newline */
        }
    }
}

/* the timestamps that cannot be out of range at each precision (nanoseconds per unit):
 * up to `most` digits, or one more whose first is first_lo..first_hi */
static const struct {
    unsigned long long factor;
    int first_lo, first_hi;
    Py_ssize_t most;
} stamps[] = {
    {1ULL, '1', '8', 18},
    {1000ULL, '1', '8', 15},
    {1000000ULL, '1', '8', 12},
    {1000000000ULL, '1', '8', 9},
    {60000000000ULL, '1', '1', 7},
    {3600000000000ULL, '1', '1', 6},
};

static PyObject *
fast_accepts(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyBytes_CheckExact(args[0]) || !PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "accepts(body: bytes, factor: int)");
        return NULL;
    }
    unsigned long long factor = PyLong_AsUnsignedLongLong(args[1]);
    if (factor == (unsigned long long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    int first_lo = 0, first_hi = 0;
    Py_ssize_t most = 0;
    for (size_t k = 0; k < sizeof(stamps) / sizeof(stamps[0]); k++) {
        if (stamps[k].factor == factor) {
            first_lo = stamps[k].first_lo;
            first_hi = stamps[k].first_hi;
            most = stamps[k].most;
        }
    }
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t n = PyBytes_GET_SIZE(args[0]);
    int ok;
    if (n > 65536) {
        /* bytes are immutable and referenced by the caller: others may run meanwhile */
        Py_BEGIN_ALLOW_THREADS
        ok = accepts(s, n, first_lo, first_hi, most);
        Py_END_ALLOW_THREADS
    }
    else {
        ok = accepts(s, n, first_lo, first_hi, most);
    }
    return PyBool_FromLong(ok);
}

/* all_stamped(body) -> bool: whether every line of body (each newline ends one) ends with a
 * timestamp as _stamp.py reads one: whitespace (space, tab or NUL), an optional '-',
 * digits, and only spaces after them */
static PyObject *
all_stamped(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1 || !PyBytes_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "all_stamped(body: bytes)");
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t n = PyBytes_GET_SIZE(args[0]);
    Py_ssize_t start = 0;
    for (;;) {
        const unsigned char *nl = memchr(s + start, '\n', (size_t)(n - start));
        Py_ssize_t end = nl ? nl - s : n, i = end - 1;
        while (i >= start && s[i] == ' ') {
            i--;
        }
        Py_ssize_t last = i;
        while (i >= start && (cls[s[i]] & DIGIT)) {
            i--;
        }
        if (i == last) {
            Py_RETURN_FALSE; /* no digit */
        }
        if (i >= start && s[i] == '-') {
            i--;
        }
        if (i < start || !(s[i] == ' ' || s[i] == '\t' || s[i] == 0)) {
            Py_RETURN_FALSE;
        }
        if (!nl) {
            Py_RETURN_TRUE;
        }
        start = end + 1;
    }
}

static PyMethodDef methods[] = {
    {"accepts", (PyCFunction)(void (*)(void))fast_accepts, METH_FASTCALL,
     "accepts(body, factor) -> bool: whether the fast check takes the whole body."},
    {"all_stamped", (PyCFunction)(void (*)(void))all_stamped, METH_FASTCALL,
     "all_stamped(body) -> bool: whether every line ends with a timestamp."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "aioinflux.serialization._ctextcheck",
    "The fast check of line protocol text, compiled (see _textcheck.py).",
    0,
    methods,
    slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__ctextcheck(void)
{
    init_classes();
    return PyModuleDef_Init(&module);
}
