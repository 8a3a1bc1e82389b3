/* Mappings to line protocol, compiled: the common case of mapping.serialize_mapping(),
 * written straight into one bytes body.
 *
 * mappings(points, measurement, extra_tags, extra_text, factor, fallback)
 *     -> (body, ends)
 *
 * points is a list or tuple (None is returned unless all its items are exact dicts: the
 * caller has another route for them). Each one is encoded here when everything in it
 * is of the common kind: a measurement, tag keys, tag values and field keys that are exact
 * strs with no backslash and no newline (and, for keys, not 'time'); field values that are
 * exact floats (finite), ints (signed 64-bit), bools, strs or None; a time that is absent,
 * None, an exact int or a datetime (naive, or aware in datetime.timezone.utc) in influxd's
 * range; no tag of extra_tags among the point's own. Any other point is handed to
 * fallback(point, index), the pure encoder, which returns its line as a str or raises,
 * naming the culprit. So every error, and every warning, comes from the pure
 * implementation, and this only has to write what it does write byte for byte as the pure
 * one would (tests/test_serialization_mapping.py compares the two on random points).
 *
 * body holds the lines joined by newlines (no final one); ends is None when no line holds a
 * newline (in a string field value), else where each line ends (lines.Lines' ends). When a
 * line cannot be encoded as UTF-8 (a lone surrogate), (line, index) of the first such one
 * is returned instead, once every point is encoded: the caller raises, as the pure path does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <math.h>
#include <string.h>

/* influxd 1.x: "time outside range -9223372036854775806 - 9223372036854775806" */
#define MAX_NS 9223372036854775806LL
#define MIN_NS (-9223372036854775806LL)

/* what each kind of name escapes with a backslash (measured on influxd 1.6.7, common.py) */
#define IN_MEASUREMENT 1 /* ',' ' ' */
#define IN_TAG 2         /* ',' '=' ' ' */
#define IN_FIELD_KEY 4   /* ',' '=' ' ' '"' */
#define HANDED_OVER 8    /* '\' and '\n': the pure encoder decides */

static unsigned char escaped[256];

static PyObject *str_measurement, *str_tags, *str_fields, *str_time;

/* the body being written: a bytes object grown as needed */
typedef struct {
    PyObject *bytes;
    char *data;
    Py_ssize_t size, capacity;
} Out;

static int
reserve(Out *out, Py_ssize_t more)
{
    if (out->size + more <= out->capacity) {
        return 0;
    }
    Py_ssize_t capacity = out->capacity;
    while (capacity < out->size + more) {
        if (capacity > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        capacity *= 2;
    }
    if (_PyBytes_Resize(&out->bytes, capacity) < 0) {
        return -1;
    }
    out->data = PyBytes_AS_STRING(out->bytes);
    out->capacity = capacity;
    return 0;
}

static inline int
put(Out *out, const char *text, Py_ssize_t n)
{
    if (reserve(out, n) < 0) {
        return -1;
    }
    memcpy(out->data + out->size, text, (size_t)n);
    out->size += n;
    return 0;
}

/* 1 when name was written (escaped as ``kind`` says), 0 when the pure encoder is to take
 * the point (not an exact str, empty, a backslash or newline in it, or a measurement that
 * starts with '#', a tab or a NUL), -1 on error */
static int
put_name(Out *out, PyObject *name, int kind)
{
    if (!PyUnicode_CheckExact(name)) {
        return 0;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(name, &n);
    if (s == NULL) { /* a lone surrogate: the pure path raises its own error */
        PyErr_Clear();
        return 0;
    }
    if (n == 0) {
        return 0;
    }
    /* the pure encoder refuses these first characters of a measurement */
    if (kind == IN_MEASUREMENT && (s[0] == '#' || s[0] == '\t' || s[0] == '\0')) {
        return 0;
    }
    Py_ssize_t special = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = escaped[(unsigned char)s[i]];
        if (c) {
            if (c & HANDED_OVER) {
                return 0;
            }
            special += (c & kind) != 0;
        }
    }
    if (reserve(out, n + special) < 0) {
        return -1;
    }
    char *to = out->data + out->size;
    if (special == 0) {
        memcpy(to, s, (size_t)n);
    }
    else {
        for (Py_ssize_t i = 0; i < n; i++) {
            if (escaped[(unsigned char)s[i]] & kind) {
                *to++ = '\\';
            }
            *to++ = s[i];
        }
    }
    out->size += n + special;
    return 1;
}

static int
put_int(Out *out, long long value)
{
    char digits[24];
    int i = sizeof(digits);
    unsigned long long magnitude =
        value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[--i] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0) {
        digits[--i] = '-';
    }
    return put(out, digits + i, (Py_ssize_t)sizeof(digits) - i);
}

static const double powers_of_ten[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10,
    1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
};

/* repr(x) of a float with at most 15 significant digits written without an exponent
 * (1e-4 <= |x| < 1e15), the common case of measured values (23.5, 0.25, 1013.25), without
 * the general shortest-digits search. Why it is repr's text: y = x * 10**k is an integer
 * below 10**15 and y / 10**k (both exact, the division correctly rounded) gives back x, so
 * the decimal y * 10**-k reads back as x; two decimals of at most 15 significant digits are
 * further apart than two neighbouring doubles, so it is the one shortest decimal that reads
 * back as x, which repr writes, without an exponent in this range. Returns the length
 * written to text (at least 24 bytes), or 0: use the general repr. tests compare it with
 * repr on random floats (tests/test_serialization_compiled.py). */
static int
short_float(double x, char *text)
{
    double magnitude = fabs(x);
    if (!(magnitude >= 1e-4 && magnitude < 1e15)) {
        return 0;
    }
    for (int k = 0; k <= 19; k++) {
        double scaled = magnitude * powers_of_ten[k];
        if (scaled >= 1e15) {
            return 0;
        }
        long long y = (long long)scaled;
        if ((double)y != scaled || scaled / powers_of_ten[k] != magnitude) {
            continue;
        }
        while (k > 0 && y % 10 == 0) { /* 2.50 is 2.5 */
            y /= 10;
            k--;
        }
        char digits[24];
        int n = 0;
        do {
            digits[n++] = (char)('0' + y % 10);
            y /= 10;
        } while (y);
        while (n <= k) { /* 0.25: a zero before the point */
            digits[n++] = '0';
        }
        int length = 0;
        if (x < 0) {
            text[length++] = '-';
        }
        for (int i = n - 1; i >= k; i--) {
            text[length++] = digits[i];
        }
        text[length++] = '.';
        if (k == 0) {
            text[length++] = '0';
        }
        for (int i = k - 1; i >= 0; i--) {
            text[length++] = digits[i];
        }
        return length;
    }
    return 0;
}

/* 1 written, 0 handed over, -1 error; *newline set when the value holds a newline */
static int
put_field_value(Out *out, PyObject *value, int *newline)
{
    if (PyFloat_CheckExact(value)) {
        double x = PyFloat_AS_DOUBLE(value);
        if (!isfinite(x)) {
            return 0;
        }
        char short_text[40];
        int length = short_float(x, short_text);
        if (length) {
            return put(out, short_text, length) < 0 ? -1 : 1;
        }
        char *text = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (text == NULL) {
            return -1;
        }
        int done = put(out, text, (Py_ssize_t)strlen(text));
        PyMem_Free(text);
        return done < 0 ? -1 : 1;
    }
    if (PyLong_CheckExact(value)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow) {
            return 0;
        }
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (put_int(out, x) < 0 || put(out, "i", 1) < 0) {
            return -1;
        }
        return 1;
    }
    if (value == Py_True) {
        return put(out, "true", 4) < 0 ? -1 : 1;
    }
    if (value == Py_False) {
        return put(out, "false", 5) < 0 ? -1 : 1;
    }
    if (PyUnicode_CheckExact(value)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(value, &n);
        if (s == NULL) {
            PyErr_Clear();
            return 0;
        }
        Py_ssize_t special = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            special += s[i] == '"' || s[i] == '\\';
        }
        if (reserve(out, n + special + 2) < 0) {
            return -1;
        }
        char *to = out->data + out->size;
        *to++ = '"';
        if (special == 0) {
            memcpy(to, s, (size_t)n);
            to += n;
        }
        else {
            for (Py_ssize_t i = 0; i < n; i++) {
                if (s[i] == '"' || s[i] == '\\') {
                    *to++ = '\\';
                }
                *to++ = s[i];
            }
        }
        *to++ = '"';
        out->size += n + special + 2;
        if (memchr(s, '\n', (size_t)n) != NULL) {
            *newline = 1;
        }
        return 1;
    }
    return 0;
}

/* floor(a / b) for b > 0 */
static inline long long
floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static long long
days_from_civil(long long y, int m, int d)
{
    /* days since 1970-01-01 of a proleptic Gregorian date */
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* the time written (with its space), 0 handed over, -1 error */
static int
put_time(Out *out, PyObject *time, long long factor)
{
    long long ticks, ns;
    if (PyLong_CheckExact(time)) {
        int overflow;
        ticks = PyLong_AsLongLongAndOverflow(time, &overflow);
        if (overflow) {
            return 0;
        }
        if (ticks == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (__builtin_mul_overflow(ticks, factor, &ns)) {
            return 0;
        }
    }
    else if (PyDateTime_CheckExact(time)) {
        PyObject *zone = PyDateTime_DATE_GET_TZINFO(time);
        if (zone != Py_None && zone != PyDateTime_TimeZone_UTC) {
            return 0;
        }
        long long seconds =
            days_from_civil(PyDateTime_GET_YEAR(time), PyDateTime_GET_MONTH(time),
                            PyDateTime_GET_DAY(time)) * 86400LL +
            PyDateTime_DATE_GET_HOUR(time) * 3600LL + PyDateTime_DATE_GET_MINUTE(time) * 60LL +
            PyDateTime_DATE_GET_SECOND(time);
        if (__builtin_mul_overflow(seconds, 1000000000LL, &ns) ||
            __builtin_add_overflow(ns, PyDateTime_DATE_GET_MICROSECOND(time) * 1000LL, &ns)) {
            return 0;
        }
        ticks = floor_div(ns, factor);
    }
    else {
        return 0;
    }
    if (ns < MIN_NS || ns > MAX_NS) {
        return 0;
    }
    if (put(out, " ", 1) < 0 || put_int(out, ticks) < 0) {
        return -1;
    }
    return 1;
}

/* one point as one line: 1 written, 0 handed over (the line is cut back), -1 error */
static int
put_point(Out *out, PyObject *point, PyObject *measurement, PyObject *extra_tags,
          const char *extra_text, Py_ssize_t extra_size, long long factor, int *newline)
{
    Py_ssize_t start = out->size;
    int done;
    PyObject *name = PyDict_GetItemWithError(point, str_measurement);
    if (name == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (name == NULL || name == Py_None) {
        name = measurement;
    }
    if ((done = put_name(out, name, IN_MEASUREMENT)) <= 0) {
        goto handed_over;
    }

    PyObject *tags = PyDict_GetItemWithError(point, str_tags);
    if (tags == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (tags != NULL && tags != Py_None) {
        if (!PyDict_CheckExact(tags)) {
            done = 0; /* a falsy non-dict, or one that raises: the pure encoder decides */
            goto handed_over;
        }
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(tags, &pos, &key, &value)) {
            if (!PyUnicode_CheckExact(key)) {
                /* (its comparison with the extra tags' keys could run any code) */
                done = 0;
                goto handed_over;
            }
            if (PyDict_GET_SIZE(extra_tags)) { /* also those omitted (None, empty) */
                /* the extra tag wins, in the place of the point's own: the pure encoder
                 * merges them */
                int clash = PyDict_Contains(extra_tags, key);
                if (clash < 0) {
                    return -1;
                }
                if (clash) {
                    done = 0;
                    goto handed_over;
                }
            }
            if (value == Py_None) {
                continue; /* omitted, its key unchecked (as the pure encoder does) */
            }
            if (!PyUnicode_CheckExact(value)) {
                done = 0;
                goto handed_over;
            }
            if (PyUnicode_GET_LENGTH(value) == 0) {
                continue;
            }
            if (PyUnicode_Compare(key, str_time) == 0) {
                done = 0;
                goto handed_over;
            }
            if (put(out, ",", 1) < 0) {
                return -1;
            }
            if ((done = put_name(out, key, IN_TAG)) <= 0) {
                goto handed_over;
            }
            if (put(out, "=", 1) < 0) {
                return -1;
            }
            if ((done = put_name(out, value, IN_TAG)) <= 0) {
                goto handed_over;
            }
        }
    }
    if (extra_size && put(out, extra_text, extra_size) < 0) {
        return -1;
    }

    PyObject *fields = PyDict_GetItemWithError(point, str_fields);
    if (fields == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (fields == NULL || !PyDict_CheckExact(fields)) {
        done = 0;
        goto handed_over;
    }
    Py_ssize_t pos = 0, written = 0;
    PyObject *key, *value;
    while (PyDict_Next(fields, &pos, &key, &value)) {
        /* every key is checked, also of a None value (skipped), as the pure encoder does */
        if (!PyUnicode_CheckExact(key) || PyUnicode_Compare(key, str_time) == 0) {
            done = 0;
            goto handed_over;
        }
        Py_ssize_t before = out->size;
        if (put(out, written ? "," : " ", 1) < 0) {
            return -1;
        }
        Py_ssize_t at = out->size;
        if ((done = put_name(out, key, IN_FIELD_KEY)) <= 0) {
            goto handed_over;
        }
        if (value == Py_None) {
            out->size = before;
            continue;
        }
        /* influxd drops a leading tab or NUL of the first field key: the pure encoder
         * puts another field first */
        if (!written && (out->data[at] == '\t' || out->data[at] == '\0')) {
            done = 0;
            goto handed_over;
        }
        if (put(out, "=", 1) < 0) {
            return -1;
        }
        if ((done = put_field_value(out, value, newline)) <= 0) {
            goto handed_over;
        }
        written++;
    }
    if (!written) {
        done = 0;
        goto handed_over;
    }

    PyObject *time = PyDict_GetItemWithError(point, str_time);
    if (time == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (time != NULL && time != Py_None && (done = put_time(out, time, factor)) <= 0) {
        goto handed_over;
    }
    return 1;

handed_over:
    *newline = 0;
    out->size = start;
    return done < 0 ? -1 : 0;
}

/* the line of the pure encoder, fallback(point, index); a line that cannot be encoded as
 * UTF-8 (a lone surrogate) is kept in *unencodable (the first one only) and not written */
static int
put_fallback(Out *out, PyObject *fallback, PyObject *point, Py_ssize_t index, int *newline,
             PyObject **unencodable)
{
    PyObject *position = PyLong_FromSsize_t(index);
    if (position == NULL) {
        return -1;
    }
    PyObject *args[2] = {point, position};
    PyObject *line = PyObject_Vectorcall(fallback, args, 2, NULL);
    Py_DECREF(position);
    if (line == NULL) {
        return -1;
    }
    if (!PyUnicode_Check(line)) {
        Py_DECREF(line);
        PyErr_SetString(PyExc_TypeError, "the fallback encoder must return a str");
        return -1;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(line, &n);
    if (s == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
            Py_DECREF(line);
            return -1;
        }
        PyErr_Clear();
        if (*unencodable == NULL) {
            *unencodable = Py_BuildValue("(On)", line, index);
        }
        Py_DECREF(line);
        return *unencodable == NULL ? -1 : 0;
    }
    int done = put(out, s, n);
    if (done == 0 && memchr(s, '\n', (size_t)n) != NULL) {
        *newline = 1;
    }
    Py_DECREF(line);
    return done;
}

/* how one point is written: 1 written, 0 handed over (nothing written), -1 error */
typedef int (*point_writer)(Out *out, PyObject *point, void *options, int *newline);

/* every point of points written by write_point (or fallback), one line each: (body, ends),
 * None when an item is not of the type ``only`` (exactly), or (line, index) of the first
 * line UTF-8 cannot encode */
static PyObject *
write_all(PyObject *points, PyTypeObject *only, point_writer write_point, void *options,
          PyObject *fallback)
{
    Py_ssize_t count = PySequence_Fast_GET_SIZE(points);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (Py_TYPE(PySequence_Fast_GET_ITEM(points, i)) != only) {
            Py_RETURN_NONE; /* not all of one type: the caller's other route */
        }
    }
    Out out = {NULL, NULL, 0, 0};
    out.capacity = count * 64 + 64;
    out.bytes = PyBytes_FromStringAndSize(NULL, out.capacity);
    if (out.bytes == NULL) {
        return NULL;
    }
    out.data = PyBytes_AS_STRING(out.bytes);
    Py_ssize_t *ends = NULL;
    int any_newline = 0;
    PyObject *result = NULL, *unencodable = NULL;
    ends = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(count ? count : 1));
    if (ends == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (PySequence_Fast_GET_SIZE(points) != count) {
            PyErr_SetString(PyExc_RuntimeError, "the points changed while they were encoded");
            goto error;
        }
        PyObject *point = PySequence_Fast_GET_ITEM(points, i);
        if (i && put(&out, "\n", 1) < 0) {
            goto error;
        }
        int newline = 0;
        Py_INCREF(point);
        int done = write_point(&out, point, options, &newline);
        if (done == 0) {
            done = put_fallback(&out, fallback, point, i, &newline, &unencodable);
        }
        else if (done == 1) {
            done = 0;
        }
        Py_DECREF(point);
        if (done < 0) {
            goto error;
        }
        any_newline |= newline;
        ends[i] = out.size;
    }
    if (unencodable != NULL) {
        /* every other point was encoded (and so checked) first, as the pure path does */
        result = unencodable;
        unencodable = NULL;
        goto error;
    }
    if (_PyBytes_Resize(&out.bytes, out.size) < 0) {
        goto error;
    }
    PyObject *line_ends = Py_None;
    if (any_newline) {
        line_ends = PyList_New(count);
        if (line_ends == NULL) {
            goto error;
        }
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *end = PyLong_FromSsize_t(ends[i]);
            if (end == NULL) {
                Py_DECREF(line_ends);
                goto error;
            }
            PyList_SET_ITEM(line_ends, i, end);
        }
    }
    else {
        Py_INCREF(line_ends);
    }
    result = PyTuple_Pack(2, out.bytes, line_ends);
    Py_DECREF(line_ends);
error:
    Py_XDECREF(unencodable);
    PyMem_Free(ends);
    Py_XDECREF(out.bytes);
    return result;
}

static int
read_factor(PyObject *value, long long *factor)
{
    *factor = PyLong_AsLongLong(value);
    if (*factor <= 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "factor must be positive");
        }
        return -1;
    }
    return 0;
}

typedef struct {
    PyObject *measurement, *extra_tags;
    const char *extra_text;
    Py_ssize_t extra_size;
    long long factor;
} MappingOptions;

static int
write_mapping(Out *out, PyObject *point, void *options, int *newline)
{
    MappingOptions *o = options;
    return put_point(out, point, o->measurement, o->extra_tags, o->extra_text, o->extra_size,
                     o->factor, newline);
}

static PyObject *
mappings(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !(PyList_CheckExact(args[0]) || PyTuple_CheckExact(args[0])) ||
        !PyDict_Check(args[2]) || !PyBytes_CheckExact(args[3]) || !PyLong_CheckExact(args[4])) {
        PyErr_SetString(PyExc_TypeError,
                        "mappings(points: list | tuple, measurement: str | None, "
                        "extra_tags: dict, extra_text: bytes, factor: int, fallback)");
        return NULL;
    }
    MappingOptions options = {args[1], args[2], PyBytes_AS_STRING(args[3]),
                              PyBytes_GET_SIZE(args[3]), 0};
    if (read_factor(args[4], &options.factor) < 0) {
        return NULL;
    }
    return write_all(args[0], &PyDict_Type, write_mapping, &options, args[5]);
}

/* @lineprotocol objects: the plan of their class (usertype._Plan.compiled), checked once */
enum { BOOL_FIELD, INT_FIELD, FLOAT_FIELD, STR_FIELD };
enum { INT_TIME, ANY_TIME };

typedef struct {
    PyObject *measurement;      /* bytes: the class's, escaped; or None */
    PyObject *measurement_attr; /* str, or None */
    PyObject *tags;             /* tuple of (attribute, b",key=") */
    PyObject *fixed_tags;       /* bytes: the class's extra tags, and the write's */
    PyObject *prefix;           /* bytes: b"_=true" (placeholder) or b"" */
    PyObject *fields;           /* tuple of (attribute, b"key=", kind, skip None) */
    PyObject *time_attr;        /* str, or None */
    int time_kind;
    long long factor;
} ObjectPlan;

static int
put_number_field(Out *out, PyObject *value, int kind, int *newline)
{
    if (kind == BOOL_FIELD) {
        return (value == Py_True || value == Py_False) ? put_field_value(out, value, newline)
                                                       : 0;
    }
    if (kind == INT_FIELD) {
        return PyLong_CheckExact(value) ? put_field_value(out, value, newline) : 0;
    }
    if (kind == STR_FIELD) {
        return PyUnicode_CheckExact(value) ? put_field_value(out, value, newline) : 0;
    }
    if (PyFloat_CheckExact(value)) {
        return put_field_value(out, value, newline);
    }
    if (PyLong_CheckExact(value)) { /* written as float(value) */
        double x = PyLong_AsDouble(value);
        if (x == -1.0 && PyErr_Occurred()) {
            PyErr_Clear(); /* too large: the pure encoder says so */
            return 0;
        }
        PyObject *as_float = PyFloat_FromDouble(x);
        if (as_float == NULL) {
            return -1;
        }
        int done = put_field_value(out, as_float, newline);
        Py_DECREF(as_float);
        return done;
    }
    return 0;
}

static int
write_object(Out *out, PyObject *obj, void *options, int *newline)
{
    ObjectPlan *plan = options;
    Py_ssize_t start = out->size;
    int done = 0;
    PyObject *value = NULL;
    if (plan->measurement_attr != Py_None) {
        value = PyObject_GetAttr(obj, plan->measurement_attr);
        if (value == NULL) {
            goto failed;
        }
        done = put_name(out, value, IN_MEASUREMENT);
        Py_CLEAR(value);
        if (done <= 0) {
            goto handed_over;
        }
    }
    else if (put(out, PyBytes_AS_STRING(plan->measurement),
                 PyBytes_GET_SIZE(plan->measurement)) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(plan->tags); i++) {
        PyObject *tag = PyTuple_GET_ITEM(plan->tags, i);
        value = PyObject_GetAttr(obj, PyTuple_GET_ITEM(tag, 0));
        if (value == NULL) {
            goto failed;
        }
        if (value == Py_None || (PyUnicode_CheckExact(value) && !PyUnicode_GET_LENGTH(value))) {
            Py_CLEAR(value);
            continue; /* omitted */
        }
        PyObject *key = PyTuple_GET_ITEM(tag, 1);
        if (put(out, PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key)) < 0) {
            Py_DECREF(value);
            return -1;
        }
        done = put_name(out, value, IN_TAG);
        Py_CLEAR(value);
        if (done <= 0) {
            goto handed_over;
        }
    }
    if (put(out, PyBytes_AS_STRING(plan->fixed_tags), PyBytes_GET_SIZE(plan->fixed_tags)) < 0 ||
        put(out, " ", 1) < 0 ||
        put(out, PyBytes_AS_STRING(plan->prefix), PyBytes_GET_SIZE(plan->prefix)) < 0) {
        return -1;
    }
    int written = PyBytes_GET_SIZE(plan->prefix) > 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(plan->fields); i++) {
        PyObject *field = PyTuple_GET_ITEM(plan->fields, i);
        value = PyObject_GetAttr(obj, PyTuple_GET_ITEM(field, 0));
        if (value == NULL) {
            goto failed;
        }
        if (value == Py_None) {
            Py_CLEAR(value);
            if (PyTuple_GET_ITEM(field, 3) == Py_True) {
                continue;
            }
            done = 0; /* the pure encoder raises */
            goto handed_over;
        }
        PyObject *key = PyTuple_GET_ITEM(field, 1);
        const char *key_text = PyBytes_AS_STRING(key);
        if (!written && (key_text[0] == '\t' || key_text[0] == '\0')) {
            Py_CLEAR(value);
            done = 0; /* influxd drops it there: the pure encoder puts another field first */
            goto handed_over;
        }
        if ((written && put(out, ",", 1) < 0) || put(out, key_text, PyBytes_GET_SIZE(key)) < 0) {
            Py_DECREF(value);
            return -1;
        }
        done = put_number_field(out, value, (int)PyLong_AsLong(PyTuple_GET_ITEM(field, 2)),
                                newline);
        Py_CLEAR(value);
        if (done <= 0) {
            goto handed_over;
        }
        written = 1;
    }
    if (!written) {
        done = 0;
        goto handed_over;
    }
    if (plan->time_attr != Py_None) {
        value = PyObject_GetAttr(obj, plan->time_attr);
        if (value == NULL) {
            goto failed;
        }
        if (plan->time_kind == INT_TIME && !PyLong_CheckExact(value)) {
            done = 0;
        }
        else {
            done = put_time(out, value, plan->factor);
        }
        Py_CLEAR(value);
        if (done <= 0) {
            goto handed_over;
        }
    }
    return 1;

failed: /* reading an attribute raised: the pure encoder reads it again, and raises */
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
        return -1; /* KeyboardInterrupt and the like */
    }
    PyErr_Clear();
    done = 0;
handed_over:
    *newline = 0;
    out->size = start;
    return done < 0 ? -1 : 0;
}

static PyObject *
objects(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    ObjectPlan plan;
    if (nargs != 5 || !(PyList_CheckExact(args[0]) || PyTuple_CheckExact(args[0])) ||
        !PyType_Check(args[1]) || !PyTuple_Check(args[2]) || PyTuple_GET_SIZE(args[2]) != 8 ||
        !PyArg_ParseTuple(args[2], "OOO!SSO!Oi", &plan.measurement, &plan.measurement_attr,
                          &PyTuple_Type, &plan.tags, &plan.fixed_tags, &plan.prefix,
                          &PyTuple_Type, &plan.fields, &plan.time_attr, &plan.time_kind)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError,
                            "objects(points: list | tuple, cls: type, plan: tuple, "
                            "factor: int, fallback)");
        }
        return NULL;
    }
    if (read_factor(args[3], &plan.factor) < 0) {
        return NULL;
    }
    return write_all(args[0], (PyTypeObject *)args[1], write_object, &plan, args[4]);
}

static PyMethodDef methods[] = {
    {"mappings", (PyCFunction)(void (*)(void))mappings, METH_FASTCALL,
     "mappings(points, measurement, extra_tags, extra_text, factor, fallback) -> "
     "(body, ends) or (line, index): the lines of points, see the module's source."},
    {"objects", (PyCFunction)(void (*)(void))objects, METH_FASTCALL,
     "objects(points, cls, plan, factor, fallback) -> (body, ends) or (line, index): the "
     "lines of @lineprotocol objects of class cls, see the module's source."},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *module)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "aioinflux.serialization._cencode",
    "Mappings to line protocol, compiled (see mapping.py).",
    0,
    methods,
    slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__cencode(void)
{
    escaped[','] = IN_MEASUREMENT | IN_TAG | IN_FIELD_KEY;
    escaped[' '] = IN_MEASUREMENT | IN_TAG | IN_FIELD_KEY;
    escaped['='] = IN_TAG | IN_FIELD_KEY;
    escaped['"'] = IN_FIELD_KEY;
    escaped['\\'] = HANDED_OVER;
    escaped['\n'] = HANDED_OVER;
    str_measurement = PyUnicode_InternFromString("measurement");
    str_tags = PyUnicode_InternFromString("tags");
    str_fields = PyUnicode_InternFromString("fields");
    str_time = PyUnicode_InternFromString("time");
    if (!str_measurement || !str_tags || !str_fields || !str_time) {
        return NULL;
    }
    return PyModuleDef_Init(&module);
}
