// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * procfs probes: /proc/systemtap/MODULE/PATH, one file per path, whose
 * reads run its read probe and whose writes run its write probe, as
 * stap's kmod runtime offers them. Created with the other attachments
 * (after begin probes), removed before them.
 *
 * A reader gets what the read probe left in its buffer, produced once per
 * open file at the first read(): one consistent text that later reads at
 * other offsets page through (a second open runs the probe again). Each
 * open file has its own buffer, so readers need not wait for each other
 * (stap's allow one open at a time). A write() runs the write probe once
 * per procfs_bufsize - 1 bytes, in order. Outside RUNNING the probes do
 * not run: a read gives an empty file, a write is taken and ignored.
 */
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "kmod_rt.h"

struct pf_file {
	const char *path;		/* below the module's directory */
	int rprobe, wprobe;		/* index in tap_module.probes, or -1 */
	u32 rsize, wsize;		/* buffer bytes with the NUL */
	umode_t mode;			/* the OR of its probes' */
};

/* One open file: the reader's copy of the text. */
struct pf_open {
	struct mutex lock;		/* pread() does not take f_pos_lock */
	char *buf;
	size_t len;
	bool filled;
};

static struct pf_file *pf_files;
static int pf_nfiles;
static struct proc_dir_entry *pf_dir;	/* /proc/systemtap/MODULE */

static int pf_open(struct inode *inode, struct file *f)
{
	struct pf_open *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return -ENOMEM;
	mutex_init(&o->lock);
	f->private_data = o;
	return 0;
}

static int pf_release(struct inode *inode, struct file *f)
{
	struct pf_open *o = f->private_data;

	kvfree(o->buf);
	kfree(o);
	return 0;
}

/* The buffer is allocated here, where we may sleep, not in the probe. */
static int pf_fill(struct pf_open *o, const struct pf_file *pf)
{
	o->buf = kvmalloc(pf->rsize, GFP_KERNEL);
	if (!o->buf)
		return -ENOMEM;
	o->buf[0] = '\0';
	tap_run_procfs_probe(pf->rprobe, o->buf, pf->rsize);
	o->len = strnlen(o->buf, pf->rsize - 1);
	o->filled = true;
	return 0;
}

static ssize_t pf_read(struct file *f, char __user *ubuf, size_t count,
		       loff_t *ppos)
{
	const struct pf_file *pf = pde_data(file_inode(f));
	struct pf_open *o = f->private_data;
	ssize_t ret = 0;

	/* as stap: a file without a read probe reads empty */
	if (pf->rprobe < 0)
		return 0;
	mutex_lock(&o->lock);
	if (!o->filled)
		ret = pf_fill(o, pf);
	if (!ret)
		ret = simple_read_from_buffer(ubuf, count, ppos, o->buf, o->len);
	mutex_unlock(&o->lock);
	return ret;
}

static ssize_t pf_write(struct file *f, const char __user *ubuf,
			size_t count, loff_t *ppos)
{
	const struct pf_file *pf = pde_data(file_inode(f));
	size_t done = 0, n;
	char *buf;

	/* root may open a read-only file for writing: stap's answer */
	if (pf->wprobe < 0)
		return -EIO;
	buf = kvmalloc(pf->wsize, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (done < count &&
	       atomic_read(&tap_rt.state) == TAP_STATE_RUNNING) {
		n = min_t(size_t, count - done, pf->wsize - 1);
		if (copy_from_user(buf, ubuf + done, n)) {
			kvfree(buf);
			return done ? done : -EFAULT;
		}
		buf[n] = '\0';
		tap_run_procfs_probe(pf->wprobe, buf, pf->wsize);
		done += n;
		cond_resched();
	}
	kvfree(buf);
	/* what came while the session was not running is taken unseen */
	*ppos += count;
	return count;
}

static const struct proc_ops pf_ops = {
	.proc_open = pf_open,
	.proc_read = pf_read,
	.proc_write = pf_write,
	.proc_lseek = default_llseek,
	.proc_release = pf_release,
};

/*
 * /proc/systemtap belongs to every module that uses it (stap's too), so it
 * is made when absent and never removed, as stap does: procfs cannot
 * remove a directory only if it is empty, and removing one that another
 * module has just made its own directory in would leave that one dangling.
 * An empty directory left behind holds nothing of this module's.
 * Creating it twice fails with a kernel warning; two tapfleet modules
 * starting at once look it up and create it under the lock of /proc's
 * root inode (the lock a lookup in /proc takes), so only one creates it.
 */
static int pf_systemtap_dir(char *err, size_t errsize)
{
	struct path proc;
	struct dentry *d;
	int ret;

	ret = kern_path("/proc", LOOKUP_FOLLOW, &proc);
	if (!ret && (proc.dentry->d_sb->s_magic != PROC_SUPER_MAGIC ||
		     proc.dentry != proc.mnt->mnt_root)) {
		path_put(&proc);
		ret = -ENOTDIR;
	}
	if (ret) {
		scnprintf(err, errsize, "procfs probes: no procfs at /proc (%pe)",
			  ERR_PTR(ret));
		return ret;
	}
	inode_lock(d_inode(proc.dentry));
	d = lookup_one_len("systemtap", proc.dentry, strlen("systemtap"));
	if (IS_ERR(d)) {
		ret = PTR_ERR(d);
	} else {
		ret = d_really_is_positive(d) ? 0 : -ENOENT;
		dput(d);
	}
	if (ret == -ENOENT)
		ret = proc_mkdir("systemtap", NULL) ? 0 : -ENOMEM;
	inode_unlock(d_inode(proc.dentry));
	path_put(&proc);
	if (ret)
		scnprintf(err, errsize, "procfs probes: cannot create /proc/systemtap (%pe)",
			  ERR_PTR(ret));
	return ret;
}

/* Names of [A-Za-z0-9_.-] (pass 2 checks them); procfs would warn on "..". */
static bool pf_path_ok(const char *path)
{
	const char *s = path, *e;

	do {
		e = strchrnul(s, '/');
		if (e == s || (e - s == 1 && s[0] == '.') ||
		    (e - s == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s = e + 1;
	} while (*e);
	return true;
}

/* a is a directory on b's path: "a/..." */
static bool pf_is_dir_of(const char *a, const char *b)
{
	size_t n = strlen(a);

	return !strncmp(a, b, n) && b[n] == '/';
}

/* The files of the probe table, one per path; stap's one probe per kind. */
static int pf_collect(char *err, size_t errsize)
{
	const struct tap_module *m = &tap_module;
	int i, j;

	for (i = 0; i < m->nprobes; i++) {
		const struct tap_probe_desc *p = &m->probes[i];
		bool write = p->kind == TAP_PK_PROCFS_WRITE;
		struct pf_file *pf = NULL;

		if (p->kind != TAP_PK_PROCFS_READ && !write)
			continue;
		if (!p->procfs_path || !pf_path_ok(p->procfs_path)) {
			scnprintf(err, errsize, "probe %s: bad procfs path \"%s\"",
				  p->point, p->procfs_path ?: "");
			return -EINVAL;
		}
		for (j = 0; j < pf_nfiles; j++)
			if (!strcmp(pf_files[j].path, p->procfs_path))
				pf = &pf_files[j];
		if (!pf) {
			pf = &pf_files[pf_nfiles++];
			pf->path = p->procfs_path;
			pf->rprobe = pf->wprobe = -1;
		}
		if ((write ? pf->wprobe : pf->rprobe) >= 0) {
			scnprintf(err, errsize, "probe %s: only one %s probe can exist for procfs path \"%s\"",
				  p->point, write ? "write" : "read", pf->path);
			return -EINVAL;
		}
		pf->mode |= p->procfs_mode & 0777;
		/* a write needs room for one byte and the NUL */
		if (write) {
			pf->wprobe = i;
			pf->wsize = max_t(u32, p->procfs_bufsize, 2);
		} else {
			pf->rprobe = i;
			pf->rsize = max_t(u32, p->procfs_bufsize, 1);
		}
	}
	for (i = 0; i < pf_nfiles; i++)
		for (j = 0; j < pf_nfiles; j++)
			if (pf_is_dir_of(pf_files[i].path, pf_files[j].path)) {
				scnprintf(err, errsize, "procfs path \"%s\" is a file and a directory of \"%s\"",
					  pf_files[i].path, pf_files[j].path);
				return -EINVAL;
			}
	return 0;
}

/* The directories on file i's path that no earlier file made. */
static int pf_mkdirs(int i)
{
	const char *path = pf_files[i].path, *slash;
	int j;

	for (slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t n = slash - path;
		bool made = false;
		char *dir;

		for (j = 0; j < i && !made; j++)
			made = !strncmp(pf_files[j].path, path, n) &&
			       pf_files[j].path[n] == '/';
		if (made)
			continue;
		dir = kstrndup(path, n, GFP_KERNEL);
		/* "a/b" below the module's directory: procfs walks the '/' */
		if (!dir || !proc_mkdir(dir, pf_dir)) {
			kfree(dir);
			return -ENOMEM;
		}
		kfree(dir);
	}
	return 0;
}

int tap_procfs_create(char *err, size_t errsize)
{
	const struct tap_module *m = &tap_module;
	int i, ret, n = 0;

	for (i = 0; i < m->nprobes; i++)
		n += m->probes[i].kind == TAP_PK_PROCFS_READ ||
		     m->probes[i].kind == TAP_PK_PROCFS_WRITE;
	if (!n)
		return 0;
	pf_files = kcalloc(n, sizeof(*pf_files), GFP_KERNEL);
	if (!pf_files) {
		scnprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	ret = pf_collect(err, errsize);
	if (!ret)
		ret = pf_systemtap_dir(err, errsize);
	if (ret)
		goto fail;
	/* the module's name as the kernel knows it, as stap's THIS_MODULE->name */
	pf_dir = proc_mkdir("systemtap/" KBUILD_MODNAME, NULL);
	if (!pf_dir) {
		ret = -EEXIST;
		scnprintf(err, errsize, "procfs probes: cannot create /proc/systemtap/%s",
			  KBUILD_MODNAME);
		goto fail;
	}
	for (i = 0; i < pf_nfiles; i++) {
		struct pf_file *pf = &pf_files[i];

		ret = pf_mkdirs(i);
		if (!ret && !proc_create_data(pf->path, pf->mode, pf_dir,
					      &pf_ops, pf))
			ret = -ENOMEM;
		if (ret) {
			scnprintf(err, errsize, "procfs probes: cannot create /proc/systemtap/%s/%s (%pe)",
				  KBUILD_MODNAME, pf->path, ERR_PTR(ret));
			goto fail;
		}
	}
	return 0;
fail:
	tap_procfs_remove();
	return ret;
}

/*
 * proc_remove() takes the whole directory, waits for read() and write()
 * calls in progress and releases the files still open: after it, no
 * pf_ops function runs and pf_files may go. Idempotent.
 */
void tap_procfs_remove(void)
{
	proc_remove(pf_dir);
	pf_dir = NULL;
	kfree(pf_files);
	pf_files = NULL;
	pf_nfiles = 0;
}
