# C types of render/linebreak.py (Cython's pure-Python mode: linebreak.py stays plain Python and runs as such
# where no compiler is present).
import cython

@cython.locals(lines=list, rest_w=Py_ssize_t, cur=str, cur_w=Py_ssize_t, empty=bint, unit_w=Py_ssize_t,
               sep_w=Py_ssize_t, sep=str, unit=str, made=list, by_length=bint)
cpdef list fill(list units, Py_ssize_t width, str first, str rest, Py_ssize_t first_w, object measure,
                object too_long, bint first_alone=*)
