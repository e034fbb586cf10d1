"""A minimal CSV splitter for the log importer (no csv module on the device)."""

from pytest_trace_opt import trainable


@trainable
def split_csv_line(line):
    """Split one CSV line into its fields.

    Fields are separated by commas. A field wrapped in double quotes may contain
    commas, and inside such a field a doubled quote ("") stands for one literal
    quote character: '"a ""b"" c",x' gives ['a "b" c', 'x'].
    """
    fields, field, quoted = [], "", False
    i = 0
    while i < len(line):
        ch = line[i]
        i += 1
        if ch == '"':
            if quoted and line[i : i + 1] == '"':
                field += '"'
                i += 1
            else:
                quoted = not quoted
        elif ch == "," and not quoted:
            fields.append(field)
            field = ""
        else:
            field += ch
    fields.append(field)
    return fields
